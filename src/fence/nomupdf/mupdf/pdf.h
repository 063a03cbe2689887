/* The include fence (src/fence/README): only src/pdf/ may use MuPDF.
 * Outside it, call pdf/'s interfaces (src/pdf/pdf.h) instead. */
#error "mupdf/pdf.h outside src/pdf/: MuPDF belongs to pdf/ (src/fence/README)"
