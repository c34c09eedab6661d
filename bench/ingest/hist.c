/* bench-ingest: a log-bucket latency histogram in nanoseconds, in the
 * spirit of HDR. */
#include "bench.h"

static unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return ((msb - HIST_SUB_BITS + 1) << HIST_SUB_BITS) +
		(unsigned)((v >> shift) & (HIST_SUB - 1));
}

/* The middle of bucket i, so a percentile is off by at most half a bucket. */
static uint64_t hist_value(unsigned i)
{
	unsigned msb, shift;
	uint64_t low;

	if (i < HIST_SUB)
		return i;
	msb = (i >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	shift = msb - HIST_SUB_BITS;
	low = (uint64_t)(HIST_SUB + (i & (HIST_SUB - 1))) << shift;
	return low + ((1ull << shift) >> 1);
}

void hist_add(struct hist *h, int64_t ns)
{
	uint64_t v = ns > 0 ? (uint64_t)ns : 0;

	h->count[hist_index(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->n += from->n;
	if (from->max > into->max)
		into->max = from->max;
}

double hist_ms(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0.0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want) {
			uint64_t v = hist_value(i);

			return (double)(v < h->max ? v : h->max) / 1e6;
		}
	}
	return (double)h->max / 1e6;
}
