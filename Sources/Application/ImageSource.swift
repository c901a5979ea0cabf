import Foundation
import ImageDecoding

/// Reads a photo named on a command line: a path, or `-` for stdin.
public enum ImageSource {
    /// How a path is shown in messages: stdin as `<stdin>`.
    public static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    public static func decode(_ path: String, maxPixels: Int) throws(CaptionError) -> Image {
        do {
            if path == "-" {
                return try ImageDecoder.decode(FileHandle.standardInput.readDataToEndOfFile(), maxPixels: maxPixels)
            }
            return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), maxPixels: maxPixels)
        } catch {
            throw .input(displayName(path), "\(error)")
        }
    }
}
