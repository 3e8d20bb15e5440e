import Glibc

/// File operations that survive a crash at any instant: a file is written to a temporary
/// name in its directory, flushed to disk, and renamed over the target, and the directory
/// is flushed so the rename itself is durable. A reader sees the old file or the new one,
/// never a part of either.
enum DurableFiles {
    struct Failure: Error, CustomStringConvertible {
        var operation: String, path: String, code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
        /// The file system (or the user's quota) has no room left.
        var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }
    }

    /// Runs `body`, turning a write that failed for want of space into `JobStoreFull`.
    static func reportingFull<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as Failure where e.isOutOfSpace {
            throw JobStoreFull(description: "no space left for the job store: \(e)")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryName(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(operation: "create", path: tmp, code: errno) }
        do {
            try writeAll(fd, bytes, path: tmp)
            guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: tmp, code: errno) }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        guard rename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw Failure(operation: "rename", path: path, code: e)
        }
        try syncDirectory(parent(of: path))
    }

    /// Writes a new file that is not yet visible to anyone (inside a staging directory).
    static func writeNew(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(operation: "create", path: path, code: errno) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    static func read(_ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(operation: "stat", path: path, code: errno) }
        let size = Int(st.st_size)
        guard size <= limit else { throw Failure(operation: "read", path: path, code: EFBIG) }
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(operation: "read", path: path, code: n == 0 ? EIO : errno) }
            done += n
        }
        return out
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o750) != 0 && errno != EEXIST { throw Failure(operation: "mkdir", path: path, code: errno) }
    }

    /// Creates every missing directory of `path`.
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            try makeDirectory(prefix)
        }
    }

    static func renameDurably(_ from: String, _ to: String) throws {
        guard rename(from, to) == 0 else { throw Failure(operation: "rename", path: from, code: errno) }
        try syncDirectory(parent(of: to))
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    static func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a directory tree (no symlinks are followed).
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func temporaryName(for path: String) -> String {
        let dir = parent(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(operation: "write", path: path, code: errno) }
            done += n
        }
    }
}
