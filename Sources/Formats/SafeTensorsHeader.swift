import Foundation
import Support

/// The parsed and validated JSON header of a safetensors file.
///
/// Layout of the file: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the
/// data buffer. The JSON maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the buffer) plus an optional `"__metadata__"` string-to-string map.
/// Validation follows the reference implementation: tensors must tile the buffer exactly, with no
/// overlap, no gap and no trailing bytes, and each must be exactly shape × dtype bytes long.
struct SafeTensorsHeader {
    struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var elementCount: Int
        var byteRange: Range<Int>
    }

    /// The reference implementation refuses headers past 100 MB; a real header is a few KB.
    static let maximumLength = 100_000_000
    static let metadataKey = "__metadata__"

    /// Sorted by `byteRange.lowerBound`, i.e. in file order.
    var entries: [Entry]
    var metadata: [String: String]

    /// Reads the length prefix and header of a whole file: the validated header, and where the
    /// data buffer starts. Both limits come from the file itself, so they are checked before
    /// anything is sliced or allocated.
    static func read(_ file: UnsafeRawBufferPointer) throws -> (SafeTensorsHeader, dataStart: Int) {
        let fileLength = file.count
        guard fileLength >= 8 else {
            throw WeightsError.truncated("\(fileLength) bytes, shorter than the 8-byte header length")
        }
        let declaredLength = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declaredLength <= UInt64(maximumLength) else {
            throw WeightsError.headerTooLarge(length: declaredLength, limit: maximumLength)
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= fileLength - 8 else {
            throw WeightsError.truncated("the header needs \(headerLength) bytes but only \(fileLength - 8) follow")
        }
        let dataStart = 8 + headerLength
        let json = Data(UnsafeRawBufferPointer(rebasing: file[8 ..< dataStart]))
        return (try SafeTensorsHeader(json: json, dataLength: fileLength - dataStart), dataStart)
    }

    /// Parses `json` and checks every entry against a data buffer of `dataLength` bytes.
    init(json: Data, dataLength: Int) throws {
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let error as DecodingError {
            throw WeightsError.invalidHeader(Self.describe(error))
        }
        metadata = raw.metadata
        var entries: [Entry] = []
        entries.reserveCapacity(raw.tensors.count)
        for (name, tensor) in raw.tensors {
            entries.append(try Self.validatedEntry(name: name, tensor))
        }
        // Ties (zero-size tensors) are ordered by name so error messages do not depend on hashing.
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
            < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        try Self.checkTiling(entries, dataLength: dataLength)
        self.entries = entries
    }

    private static func validatedEntry(name: String, _ tensor: RawTensor) throws -> Entry {
        guard let dtype = SafeTensorsDType(rawValue: tensor.dtype) else {
            throw WeightsError.unsupportedDType(tensor: name, dtype: tensor.dtype)
        }
        if let negative = tensor.shape.first(where: { $0 < 0 }) {
            throw WeightsError.invalidShape(tensor: name, "negative dimension \(negative) in \(tensor.shape)")
        }
        var elementCount = 1
        for dimension in tensor.shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            if overflow { throw WeightsError.invalidShape(tensor: name, "\(tensor.shape) has too many elements") }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw WeightsError.invalidShape(tensor: name, "\(tensor.shape) has too many elements") }

        guard tensor.dataOffsets.count == 2 else {
            throw WeightsError.invalidOffsets(tensor: name, "expected [begin, end], got \(tensor.dataOffsets)")
        }
        let begin = tensor.dataOffsets[0], end = tensor.dataOffsets[1]
        guard begin >= 0, end >= 0 else {
            throw WeightsError.invalidOffsets(tensor: name, "negative offset in \(tensor.dataOffsets)")
        }
        guard begin <= end else {
            throw WeightsError.invalidOffsets(tensor: name, "begin \(begin) is after end \(end)")
        }
        guard end - begin == byteCount else {
            throw WeightsError.invalidOffsets(tensor: name,
                "[\(begin), \(end)] holds \(end - begin) bytes but \(dtype.rawValue) \(tensor.shape) needs \(byteCount)")
        }
        return Entry(name: name, dtype: dtype, shape: tensor.shape, elementCount: elementCount,
                     byteRange: begin ..< end)
    }

    /// Tensors, in file order, must cover `0 ..< dataLength` exactly once.
    private static func checkTiling(_ entries: [Entry], dataLength: Int) throws {
        var expectedBegin = 0
        var previous: String?
        for entry in entries {
            let begin = entry.byteRange.lowerBound
            if begin < expectedBegin, let previous {
                throw WeightsError.invalidOffsets(tensor: entry.name,
                    "bytes \(begin) ..< \(entry.byteRange.upperBound) overlap tensor '\(previous)', which ends at \(expectedBegin)")
            }
            if begin > expectedBegin {
                let after = previous.map { "after tensor '\($0)'" } ?? "at the start of the data"
                throw WeightsError.invalidOffsets(tensor: entry.name,
                    "begins at \(begin), leaving \(begin - expectedBegin) unused bytes \(after)")
            }
            if entry.byteRange.upperBound > dataLength {
                throw WeightsError.truncated(
                    "tensor '\(entry.name)' ends at data byte \(entry.byteRange.upperBound), but the data has only \(dataLength) bytes")
            }
            expectedBegin = entry.byteRange.upperBound
            previous = entry.name
        }
        if expectedBegin != dataLength {
            throw WeightsError.invalidHeader(
                "the data has \(dataLength) bytes but the tensors describe only \(expectedBegin)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch where error.isAtTopLevel: return "the header is not a JSON object"
        case .dataCorrupted where error.isAtTopLevel: return "the header is not valid JSON"
        default: return error.summary
        }
    }
}

/// The header as JSON, before any check beyond "the types are right".
///
/// Decoding into `Int` makes JSONDecoder reject fractions and numbers outside `Int`'s range, so
/// an offset like 1e30 is an error here rather than a trap later.
private struct RawHeader: Decodable {
    var tensors: [String: RawTensor] = [:]
    var metadata: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == SafeTensorsHeader.metadataKey {
                // The reference reads it as an optional map, so `null` means "no metadata".
                if try container.decodeNil(forKey: key) { continue }
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(RawTensor.self, forKey: key)
            }
        }
    }
}

private struct RawTensor: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dtype = try container.decode(String.self, forKey: .dtype)
        shape = try container.decode([HeaderInteger].self, forKey: .shape).map(\.value)
        dataOffsets = try container.decode([HeaderInteger].self, forKey: .dataOffsets).map(\.value)
    }
}

/// A JSON number that must be an integer in `Int`'s range.
///
/// Decoding `Int` directly would reject 1.5 or 1e30 too, but Foundation on Linux then reports
/// "not valid JSON" for the whole header; this says which value is wrong and where.
private struct HeaderInteger: Decodable {
    var value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
            return
        }
        let found = (try? container.decode(Double.self)).map { "\($0)" } ?? "a non-number"
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
            debugDescription: "expected an integer within ±\(Int.max), found \(found)"))
    }
}
