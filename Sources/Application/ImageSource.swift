import Foundation
import ImageDecoding

/// Reads a photo named on a command line: a path, or `-` for stdin.
public enum ImageSource {
    /// How a path is shown in messages: stdin as `<stdin>`.
    public static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    public static func decode(_ path: String, maxPixels: Int) throws(CaptionError) -> Image {
        try read(path, maxPixels: maxPixels).image
    }

    /// The file's bytes and the photo decoded from them, for a page that embeds the photo.
    public static func read(_ path: String, maxPixels: Int) throws(CaptionError) -> (bytes: Data, image: Image) {
        do {
            let bytes = path == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                : try ImageDecoder.read(contentsOf: URL(fileURLWithPath: path))
            return (bytes, try ImageDecoder.decode(bytes, maxPixels: maxPixels))
        } catch {
            throw .input(displayName(path), "\(error)")
        }
    }
}
