/// Placeholder for the OpenSSL context; TLS is configured through `ServerConfiguration.tls`.
final class TLSContext: @unchecked Sendable {}
