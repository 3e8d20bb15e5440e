/// The web page's files (`web/`) by name, as embedded at build time.
enum WebAssets {
    static let files: [String: String] = Dictionary(uniqueKeysWithValues: EmbeddedFiles.text.compactMap { path, text in
        path.hasPrefix("web/") ? (String(path.dropFirst(4)), text) : nil
    })
}
