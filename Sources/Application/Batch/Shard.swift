/// One of N equal parts of a batch, for running N copies on N machines (`--shard K/N`).
///
/// A file belongs to shard K when a hash of its path, as the batch prints it, is K − 1 modulo N.
/// The choice depends on nothing but the path, so every machine agrees without talking to the
/// others, and a file added later does not move the rest between shards.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1…count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1 else { throw .invalid("the shard count must be at least 1") }
        guard (1...count).contains(index) else {
            throw .invalid("shard \(index) is not in 1…\(count) (shards count from 1: --shard 1/\(count) … \(count)/\(count))")
        }
        self.index = index
        self.count = count
    }

    /// Parses "K/N", e.g. "3/8".
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw .invalid("expected K/N such as 2/8, got \"\(text)\"")
        }
        try self.init(index: k, count: n)
    }

    public func contains(_ path: String) -> Bool {
        Int(Self.hash(path) % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }

    /// 64-bit FNV-1a of the UTF-8 bytes: fixed forever, unlike Swift's seeded `Hasher`.
    public static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

public enum ShardError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
