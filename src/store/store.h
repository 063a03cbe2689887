/* placeholder */
#ifndef LIASSE_STORE_H
#define LIASSE_STORE_H
#endif
