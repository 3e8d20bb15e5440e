import Foundation

/// Writing a result or a report. A regular file (or a new one) is written whole to a
/// temporary file and renamed over the old one, so a reader never sees half of it; but
/// a device, a pipe or a socket (`-o /dev/null`, `--report /dev/stdout`) is written in
/// place: renaming over it would replace the device itself with a plain file.
enum OutputFile {
    static func write(_ data: Data, to path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
        } else {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
