/*
 * formats: the table of export's output formats (see gen.h).
 */
#include "cli/gen/gen.h"

#include <string.h>

const struct gen_format *const gen_formats[] = {
	&gen_format_yaml,
	&gen_format_json,
	&gen_format_generated,
	&gen_format_neighbors,
	&gen_format_cilium,
	&gen_format_clusternetworkpolicy,
	&gen_format_neighborhood,
	NULL,
};

const struct gen_format *
gen_format_find(const char *name)
{
	size_t i;

	for (i = 0; gen_formats[i] != NULL; i++)
		if (strcmp(gen_formats[i]->name, name) == 0)
			return gen_formats[i];
	return NULL;
}
