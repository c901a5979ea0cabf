import Foundation
import Tensors

/// An ONNX `TensorProto`: a named constant such as a weight initializer.
///
/// Values stay in their wire form (a slice of the model file) until `floatTensor()` decodes them,
/// so reading a 60 MB model only indexes it. Only FLOAT (data type 1) is decoded, from either
/// `raw_data` (little-endian bytes) or `float_data`; tensors stored outside the model file
/// (`data_location = EXTERNAL`) are recognised and refused with a clear error.
public struct ONNXTensor: Sendable {
    /// `TensorProto.DataType` value; 1 is FLOAT.
    public static let floatDataType: Int32 = 1

    public var name: String = ""
    public var dims: [Int] = []
    public var dataType: Int32 = 0
    /// True when the values live in a separate file (`external_data` / `data_location`).
    public var hasExternalData = false
    var rawData: Data?
    var floatData: [Float] = []

    /// ONNX's name for `dataType` (e.g. "INT64"), for error messages.
    public var dataTypeName: String {
        let names: [Int32: String] = [
            1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
            8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 16: "BFLOAT16",
        ]
        return names[dataType] ?? "type \(dataType)"
    }

    /// Decodes a FLOAT tensor, checking that the stored values match `dims`.
    public func floatTensor() throws -> Tensor {
        if hasExternalData { throw WeightsError.externalData(tensor: name) }
        guard dataType == Self.floatDataType else {
            throw WeightsError.invalidONNX("tensor '\(name)' has data type \(dataTypeName), expected FLOAT")
        }
        var count = 1
        for dimension in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { throw WeightsError.invalidONNX("tensor '\(name)': dims \(dims) have too many elements") }
            count = product
        }
        if let rawData {
            guard floatData.isEmpty else {
                throw WeightsError.invalidONNX("tensor '\(name)' has both raw_data and float_data")
            }
            // Compared by division: `count * 4` could overflow for corrupt dims.
            guard rawData.count % 4 == 0, rawData.count / 4 == count else {
                throw WeightsError.invalidONNX(
                    "tensor '\(name)': raw_data has \(rawData.count) bytes, dims \(dims) need \(count) floats")
            }
            let values = rawData.withUnsafeBytes { SafeTensorsDType.f32.decode($0, count: count) }
            return Tensor(shape: dims, data: values)
        }
        guard floatData.count == count else {
            throw WeightsError.invalidONNX(
                "tensor '\(name)': float_data has \(floatData.count) values, dims \(dims) need \(count)")
        }
        return Tensor(shape: dims, data: floatData)
    }

    /// Parses a serialized `TensorProto` (field numbers from onnx.proto).
    init(reading reader: inout ProtobufReader) throws {
        let message = "TensorProto"
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                var values: [Int64] = []
                try reader.appendInt64s(field, to: &values, in: message)
                for value in values {
                    // Int64 → Int is exact on 64-bit; a negative dim is never a real shape.
                    guard value >= 0 else { throw WeightsError.invalidONNX("negative dimension \(value) in a tensor") }
                    dims.append(Int(value))
                }
            case 2:
                let value = try reader.readInt64(field, in: message)
                guard let type = Int32(exactly: value) else {
                    throw WeightsError.invalidONNX("tensor data type \(value) is out of range")
                }
                dataType = type
            case 4: try reader.appendFloats(field, to: &floatData, in: message)
            case 8: name = try reader.readString(field, in: message)
            case 9: rawData = try reader.readBytes(field, in: message)
            case 13:
                hasExternalData = true
                try reader.skip(field.wireType)
            case 14:
                if try reader.readInt64(field, in: message) == 1 { hasExternalData = true }
            default:
                try reader.skip(field.wireType)
            }
        }
    }
}
