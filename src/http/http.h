/* placeholder */
#ifndef LIASSE_HTTP_H
#define LIASSE_HTTP_H
#endif
