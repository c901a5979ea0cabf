import Foundation

/// Which part of a dataset to load: the images a split file lists, or the images a dataset
/// tags with given split names.
public enum SplitSelection: Sendable, Hashable {
    /// A text file with one image name (or relative path) a line; it also fixes the order.
    case file(URL)
    /// Split names, e.g. `["train", "restval"]` for Karpathy's usual COCO training set.
    /// For a Flickr8k directory a name picks its standard file (`train` →
    /// `Flickr_8k.trainImages.txt`; `val` is accepted for `dev`).
    case named(Set<String>)

    /// Reads a command-line `--split` value. Split names are bare words, so anything with a
    /// `/` or `.` is taken as a split file (relative to the working directory) and a typo in a
    /// path reports a missing file instead of an unknown split; otherwise the value is a
    /// comma-separated list of names (`train,restval`).
    public init(argument: String) {
        if argument.contains("/") || argument.contains(".") {
            self = .file(URL(fileURLWithPath: argument))
        } else {
            let names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            self = .named(Set(names.filter { !$0.isEmpty }))
        }
    }
}
