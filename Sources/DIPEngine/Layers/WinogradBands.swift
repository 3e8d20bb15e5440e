/// The 4×4 output tiles of a Winograd convolution in bands of whole tile rows: about
/// 64 tiles a band (measured against 32–256 at 256² and 512²) keep a band's transformed
/// tiles in cache, and every thread gets a band where there are enough rows.
struct WinogradBands {
    let tilesX, tilesY, rows, count, threads: Int

    init(height: Int, width: Int, threads: Int) {
        tilesX = (width + 3) / 4; tilesY = (height + 3) / 4
        rows = max(1, min(max(1, 64 / tilesX), (tilesY + threads - 1) / threads))
        count = (tilesY + rows - 1) / rows
        self.threads = min(threads, count)
    }

    func tileRows(_ band: Int) -> (Int, Int) { (band * rows, min(tilesY, (band + 1) * rows)) }
}
