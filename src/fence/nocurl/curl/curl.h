/* The include fence (src/fence/README): only src/transmit/ may use libcurl.
 * Outside it, send the bytes through transmit/'s interfaces instead. */
#error "curl/curl.h outside src/transmit/: libcurl belongs to transmit/ (src/fence/README)"
