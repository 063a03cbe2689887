/* The include fence (src/fence/README): only src/http/ may use libmicrohttpd.
 * Outside it, take a request through http/'s interfaces instead. */
#error "microhttpd.h outside src/http/: libmicrohttpd belongs to http/ (src/fence/README)"
