extension ImageDecoder {
    /// Bytes a caller should read from the start of a file to ask ``recognizes(_:)``.
    public static let signatureLength = 32

    /// Whether `prefix` (the first bytes of a file) starts like an image: one we decode, or a
    /// known format we cannot (which then gets "unsupported image format", not a silent skip).
    /// What a folder walk uses to find images whatever their extension.
    public static func recognizes(_ prefix: [UInt8]) -> Bool {
        prefix.withUnsafeBytes { ImageFormat(sniffing: $0) != nil || ImageFormat.unsupportedName(sniffing: $0) != nil }
    }
}

extension ImageDecodingError {
    /// A short name for the kind of failure, for tallies such as "3 corrupt, 1 unreadable".
    public var kind: String {
        switch self {
        case .emptyFile: "empty file"
        case .unknownFormat: "not an image"
        case .unsupportedFormat: "unsupported format"
        case .tooLarge: "too large"
        case .corrupt: "corrupt"
        case .unreadable: "unreadable"
        }
    }
}
