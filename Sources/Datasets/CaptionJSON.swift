import Foundation
import Support

/// What the two caption JSON formats share: decoding with errors that say where in the file
/// the problem is, and telling the formats apart by their keys in the same single parse
/// (Karpathy's COCO file is ~150 MB, so parsing it twice would be felt).
enum CaptionJSON {
    /// A caption JSON file of either format: COCO files have a top-level `annotations`,
    /// Karpathy files have `sentences` in each image.
    enum Document: Decodable {
        case karpathy(KarpathyFormat.Document)
        case coco(COCOCaptionsFormat.Document)
        case unrecognized(reason: String)

        private enum Key: String, CodingKey {
            case images, annotations, sentences
        }

        init(from decoder: any Decoder) throws {
            let top = try decoder.container(keyedBy: Key.self)
            if top.contains(.annotations) {
                self = .coco(try COCOCaptionsFormat.Document(from: decoder))
                return
            }
            guard top.contains(.images) else {
                self = .unrecognized(reason: "neither Karpathy ({\"images\": [{\"sentences\": …}]}) nor COCO ({\"annotations\": …}) caption JSON: no \"images\" key")
                return
            }
            var images = try top.nestedUnkeyedContainer(forKey: .images)
            if !images.isAtEnd, try !images.nestedContainer(keyedBy: Key.self).contains(.sentences) {
                self = .unrecognized(reason: "images[0] has no \"sentences\" (Karpathy format) and there are no \"annotations\" (COCO format)")
                return
            }
            self = .karpathy(try KarpathyFormat.Document(from: decoder))
        }
    }

    /// Decodes `url`'s JSON as `type`, reporting failures as `DatasetError.malformedJSON`.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws(DatasetError) -> T {
        let data = try DatasetFile.data(at: url)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               let detail = syntaxErrorDetail(in: data) {
                throw .malformedJSON(url, reason: "not valid JSON (\(detail))")
            }
            throw .malformedJSON(url, reason: summary(of: error))
        } catch {
            throw .malformedJSON(url, reason: error.localizedDescription)
        }
    }

    /// One line saying where (`images[3].sentences[0].raw`) and what went wrong.
    static func summary(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(location(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "\(location(context.codingPath)) is not \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(location(context.codingPath)) is null, expected \(name(of: type))"
        case .dataCorrupted(let context):
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return context.codingPath.isEmpty
                ? "not valid JSON (\(detail.replacingOccurrences(of: "\n", with: " ")))"
                : "\(location(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Where the JSON syntax breaks. `JSONDecoder` only says "not valid JSON";
    /// `JSONSerialization` reports a position, so it re-parses on this (failure-only) path.
    private static func syntaxErrorDetail(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return detail.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
        }
    }

    private static func location(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the top level" }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let spelled = String(describing: type)
            if spelled.hasPrefix("Array") { return "an array" }
            if spelled.hasPrefix("Dictionary") { return "an object" }
            return spelled
        }
    }
}

/// A captions dataset kept in one JSON file (COCO captions, Karpathy's dataset_*.json): its
/// document type, and how a decoded document becomes a `CaptionDataset`.
public protocol JSONCaptionFormat {
    associatedtype Document: Decodable
    static func dataset(from document: Document, source: URL, split: SplitSelection?, images: URL?) throws(DatasetError)
        -> CaptionDataset
}

extension JSONCaptionFormat {
    /// Reads the file. `split` picks the images of a split (by tag names, or a split file's
    /// list); `images` is the folder holding them (default: `images/` next to the JSON file).
    public static func read(jsonFile: URL, split: SplitSelection? = nil, images: URL? = nil) throws(DatasetError) -> CaptionDataset {
        try dataset(from: try CaptionJSON.decode(Document.self, from: jsonFile), source: jsonFile, split: split, images: images)
    }
}
