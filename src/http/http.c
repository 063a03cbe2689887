#include "http/http.h"
int http_placeholder_(void);
int http_placeholder_(void) { return 0; }
