import Foundation

/// The command line as ArgumentParser should see it.
public enum CommandLineArguments {
    /// `--temperature -1` as `--temperature=-1`: ArgumentParser reads a word starting with `-`
    /// as an option, so a negative number after a space was reported as a missing value rather
    /// than as out of range.
    public static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var joined: [String] = []
        for argument in arguments {
            if let previous = joined.last, previous.hasPrefix("--"), previous != "--", !previous.contains("="),
               argument.range(of: #"^-(\d|\.\d|inf|nan)"#, options: [.regularExpression, .caseInsensitive]) != nil {
                joined[joined.count - 1] = previous + "=" + argument
            } else {
                joined.append(argument)
            }
        }
        return joined
    }
}
