public enum ImageCodecModule {}
