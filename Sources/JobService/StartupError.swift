import Glibc

/// Why the service cannot start, in one line that names the real cause, with the
/// process exit status to report it by (sysexits.h).
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public var exitStatus: Int32

    public init(description: String, exitStatus: Int32) {
        self.description = description; self.exitStatus = exitStatus
    }

    /// EX_CANTCREAT: the data directory cannot be made or written.
    static func dataDirectory(_ path: String, _ cause: Error) -> StartupError {
        StartupError(description: "the data directory \(path) cannot be used (\(cause)): it must be writable by uid \(getuid()) gid \(getgid()), the user dipd runs as",
                     exitStatus: 73)
    }

    /// EX_UNAVAILABLE: the database of `database_url` cannot be used.
    static func database(_ cause: Error) -> StartupError {
        StartupError(description: "database_url: \(cause)", exitStatus: 69)
    }

    /// EX_NOINPUT: the pre-image weights cannot be read.
    static func weights(_ cause: Error) -> StartupError {
        StartupError(description: "preimage_weights: \(cause)", exitStatus: 66)
    }
}
