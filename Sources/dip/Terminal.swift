#if canImport(Glibc)
import Glibc
#endif

/// Writes to stderr without Foundation's buffering, so progress shows at once.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) != 0

    static func error(_ s: String) {
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
    static func errorLine(_ s: String) { error(s + "\n") }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
