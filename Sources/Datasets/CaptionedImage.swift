/// One image of a caption dataset with the human-written captions that describe it.
public struct CaptionedImage: Sendable, Hashable {
    /// Where the image lives relative to the dataset's images directory, `/`-separated
    /// (just the file name for Flickr8k; `val2014/COCO_val2014_….jpg` for Karpathy's COCO).
    public var path: String
    /// The split the dataset itself assigns (`train`, `val`, `dev`, `restval`, …), if any.
    public var split: String?
    /// The captions as written (trimmed, otherwise untouched); tokenize with `Tokenizer`.
    public var captions: [String]

    public init(path: String, split: String? = nil, captions: [String]) {
        self.path = path
        self.split = split
        self.captions = captions
    }

    /// The last path component: what split files usually list.
    public var fileName: String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
