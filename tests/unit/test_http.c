/* The routes liassed serves and the OpenAPI document in doc/ agree, both ways. */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "tap.h"

static int
route_exists(const char *method, const char *path)
{
	for (size_t i = 0; i < http_nroutes; i++)
		if (!strcasecmp(http_routes[i].method, method) && !strcmp(http_routes[i].pattern, path))
			return 1;
	return 0;
}

int
main(void)
{
	static const char *const methods[] = { "get", "post", "put", "patch", "delete", NULL };
	char path[4096];
	json_error_t err;
	json_t *doc = json_load_file(tap_srcpath(path, sizeof(path), "doc/openapi.json"), 0, &err);
	json_t *paths, *item;
	const char *p;

	if (!ok(doc != NULL, "doc/openapi.json is valid JSON")) {
		fprintf(stderr, "# %s line %d\n", err.text, err.line);
		return tap_done();
	}
	is_str(json_string_value(json_object_get(doc, "openapi")), "3.1.0", "OpenAPI version 3.1.0");
	paths = json_object_get(doc, "paths");
	for (size_t i = 0; i < http_nroutes; i++) {
		char m[16];
		size_t k;

		for (k = 0; http_routes[i].method[k] && k < sizeof(m) - 1; k++)
			m[k] = (char)(http_routes[i].method[k] | 0x20);
		m[k] = '\0';
		ok(json_object_get(json_object_get(paths, http_routes[i].pattern), m) != NULL,
		   "route %s %s is documented", http_routes[i].method, http_routes[i].pattern);
	}
	json_object_foreach(paths, p, item) {
		for (int k = 0; methods[k]; k++)
			if (json_object_get(item, methods[k]))
				ok(route_exists(methods[k], p), "documented %s %s is served", methods[k], p);
	}
	/* The drop-in protocols' paths: listed under x-compat (links to
	 * doc/compat.md), never among the API's paths. */
	json_t *ops = json_object_get(json_object_get(doc, "x-compat"), "operations"), *op;
	for (size_t i = 0; i < http_ncompat_routes; i++) {
		size_t k, found = 0;

		json_array_foreach(ops, k, op)
			found |= !strcmp(json_string_value(json_object_get(op, "path")) ?: "",
					 http_compat_routes[i].pattern) &&
				 !strcmp(json_string_value(json_object_get(op, "method")) ?: "",
					 http_compat_routes[i].method);
		ok(found && !json_object_get(paths, http_compat_routes[i].pattern),
		   "compat route %s %s is listed under x-compat only", http_compat_routes[i].method,
		   http_compat_routes[i].pattern);
	}
	json_decref(doc);
	return tap_done();
}
