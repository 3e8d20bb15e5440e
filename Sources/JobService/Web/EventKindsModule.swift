extension JobEventKind {
    /// The page's list of event names, made from this type at run time (`/ui/event-kinds.js`),
    /// so that the page and the service cannot disagree on them.
    static var javaScriptModule: String {
        let names = allCases.map { "  \($0.rawValue): '\($0.rawValue)'," }.joined(separator: "\n")
        let ending = allCases.filter(\.endsStream).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return """
            // Made by the service from its list of job event kinds (JobEventKind).
            export const EventKind = Object.freeze({
            \(names)
            });
            // After these, a job's stream ends.
            export const streamEnds = Object.freeze([\(ending)]);

            """
    }
}
