/// HTTP/1.1 server.
public enum HTTPServerModule {}
