import CWorkerPool

/// Splits independent work across the machine's cores.
public enum Parallel {
    /// Number of workers: one per core the process may use.
    public static let workers: Int = max(1, sysconf_nprocessors())

    /// Runs `body(i)` for i in 0..<count, spread over up to `workers` threads, and returns when
    /// all are done. With `count == 1` it runs inline, so callers need no special case. A call
    /// from inside a body, or while another thread's call holds the workers, runs its indices on
    /// the calling thread in order (`wp_parallel_for`: the workers spin between jobs, so a
    /// decoding step's products each start within a microsecond).
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var context = body
            withUnsafeMutablePointer(to: &context) { pointer in
                wp_parallel_for(count, { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, pointer)
            }
        }
    }
}

extension Parallel {
    /// Share `share` of `shares` contiguous, near-equal parts of 0..<count: how a split over the
    /// workers divides its rows, panels or photos.
    public static func share(_ share: Int, of shares: Int, _ count: Int) -> Range<Int> {
        (share * count / shares)..<((share + 1) * count / shares)
    }
}

/// Marks a value as safe to share with `Parallel.forEach` workers. Callers guarantee that
/// workers touch disjoint memory (each writes its own slice of an output).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
private func sysconf_nprocessors() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
import Foundation
private func sysconf_nprocessors() -> Int { ProcessInfo.processInfo.activeProcessorCount }
#endif
