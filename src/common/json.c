#include "common/json.h"

#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void *json_alloc(size_t size)
{
	return malloc(size);
}

static void json_free_wiped(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void mg_json_init(void)
{
	json_set_alloc_funcs(json_alloc, json_free_wiped);
}
