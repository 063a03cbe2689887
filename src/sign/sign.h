/* placeholder */
#ifndef LIASSE_SIGN_H
#define LIASSE_SIGN_H
#endif
