import ArgumentParser
import Application
import Support

/// `caption IMAGE…`: a sentence for each photo.
struct CaptionImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Caption photos (the default: `caption photo.jpg`).",
        discussion: """
        Prints one caption a line, in the order the photos were given; a photo that cannot be \
        read prints `caption: error: <file>: <reason>` on stderr and an empty line on stdout, so \
        lines still match the arguments, and the exit status is 1. With --json, one object a line:
          {"image", "caption", "logprob", "score", "beams": [{"caption", "logprob", "score", "word_logprobs"}]}
        or {"image", "error"} for a photo that failed. logprob is the natural-log probability of \
        the caption including its end; score is logprob / length^α (--length-penalty). With the \
        shipped aligner present, the object also has "confidence": the aligner's score of the \
        chosen caption per word (S / words), which, unlike logprob, does not fall with length, and, \
        when the aligner file is calibrated, "match": \(MatchReading.meaning). \
        With the shipped captioner and aligner, the caption is picked from the beam by a mix of \
        both scores (--no-rerank keeps the captioner's own best; --rerank asks for it with a \
        --model of your own).

        Examples:
          caption examples/chelsea.jpg
          caption *.jpg --json --n-best 3
          caption photo.jpg --sample --temperature 0.8 --seed 7
          curl -s https://… | caption -
        """)

    @OptionGroup var photos: PhotoArguments
    @OptionGroup var captioner: CaptionerOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        // One photo: the process ends after it, so spend a few ms of page faults to keep peak
        // memory low; more photos keep the heap warm for the next encode.
        if photos.images.count == 1 { LargeAllocations.returnToSystemWhenFreed() }
        let pipeline = try captioner.pipeline(confidence: output.json)
        let progress = ProgressBar(total: photos.images.count, quiet: output.quiet)
        defer { progress.finish() }
        var failures = 0
        for path in photos.images {
            do {
                let image = try ImageSource.decode(path, maxPixels: captioner.image.maxPixels)
                let record = pipeline.record(image: path, photo: pipeline.encoder.encode(image).features)
                emit(output.json ? record.jsonLine : record.caption)
                progress.advance()
            } catch {
                report(error)
                emit(output.json ? BatchRecord(image: path, error: error.reason).jsonLine : "")
                failures += 1
                progress.advance(failed: 1)
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
