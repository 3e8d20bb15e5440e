/// The API's description, `openapi.yaml` as embedded at build time.
enum OpenAPIDocument {
    static let yaml = EmbeddedFiles.text["openapi.yaml"]!
}
