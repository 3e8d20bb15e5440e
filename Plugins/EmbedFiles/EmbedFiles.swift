import Foundation
import PackagePlugin

/// Embeds the files the service serves as they are — `openapi.yaml` and the web page in `web/` —
/// into the target as Swift strings (`EmbeddedFiles.text`), generated at every build from the
/// files themselves, so the binary always serves the document and page it was built with and no
/// copy of them is kept in the sources.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let web = try FileManager.default.contentsOfDirectory(atPath: root.appending(path: "web").path)
            .filter { !$0.hasPrefix(".") }.sorted().map { "web/\($0)" }
        let paths = ["openapi.yaml"] + web
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(paths.count) files in \(target.name)",
            executable: try context.tool(named: "embed-files").url,
            arguments: [output.path, root.path] + paths,
            inputFiles: paths.map { root.appending(path: $0) },
            outputFiles: [output])]
    }
}
