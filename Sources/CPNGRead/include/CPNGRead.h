// Classic-libpng PNG reader with C-side error handling.
//
// libpng's classic API reports errors with longjmp, which Swift code cannot survive, and its
// simplified API (png_image_*) cannot return 16-bit samples unchanged: it applies gamma to
// them and premultiplies alpha. This small reader keeps the setjmp in C and hands Swift plain
// status codes, so samples come out exactly as stored in the file.
#ifndef CPNGREAD_H
#define CPNGREAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpngread_decoder cpngread_decoder;

/// Creates a decoder over `size` bytes at `data`. The bytes are not copied: they must stay
/// valid and unchanged until cpngread_destroy. Returns NULL if memory is exhausted.
cpngread_decoder *cpngread_create(const uint8_t *data, size_t size);

/// Releases everything the decoder owns. Accepts NULL.
void cpngread_destroy(cpngread_decoder *decoder);

/// Reads the chunks up to the image data and reports the stored dimensions.
/// Nothing proportional to the image size is allocated yet, so the caller can check limits first.
/// Returns 0 on success, nonzero on error (see cpngread_message).
int cpngread_read_header(cpngread_decoder *decoder, uint32_t *width, uint32_t *height);

/// Sets up the output layout: palette and bit depths below 8 expanded to 8 bits, tRNS turned into
/// an alpha channel, 16-bit kept as big-endian 16-bit, interlacing undone, no gamma correction.
/// Must follow a successful cpngread_read_header. Returns 0 on success.
int cpngread_start_image(cpngread_decoder *decoder, int *channels, int *bit_depth, size_t *row_bytes);

/// Decodes all rows into `pixels` (`row_bytes` per row, height rows, top row first), then reads
/// the chunks after the image data up to IEND. Returns 0 on success.
int cpngread_read_image(cpngread_decoder *decoder, uint8_t *pixels, size_t row_bytes);

/// The last error message; never NULL, empty when there was none.
const char *cpngread_message(const cpngread_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
