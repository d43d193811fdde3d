/*
 * addr: IPv4 and IPv6 addresses and CIDRs as plain values. Parsers take a
 * string and fill a caller's struct; nothing allocates.
 */
#ifndef NPR_ADDR_H
#define NPR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Big enough for any canonical address text, NUL included. */
#define ADDR_STRLEN 46
/* Big enough for any canonical CIDR text ("addr/128"), NUL included. */
#define ADDR_CIDR_STRLEN 50

struct addr {
	uint8_t family;		/* AF_INET or AF_INET6; 0 when unset */
	uint8_t bytes[16];	/* network order; IPv4 uses the first 4 */
};

struct addr_cidr {
	struct addr addr;	/* the network: host bits are zero */
	uint8_t prefix;		/* 0..32 or 0..128 */
};

/* Parse "198.18.0.5" or "2001:db8::5". Returns 0 or -EINVAL. An IPv4-mapped
 * IPv6 address stays IPv6. */
int addr_parse(const char *s, struct addr *out);

/* Fill from raw bytes (4 or 16 of them, network order). */
void addr_from_bytes(struct addr *out, int family, const void *bytes);

/* Canonical text into buf (at least ADDR_STRLEN). Returns buf. */
char *addr_format(const struct addr *a, char *buf, size_t len);

/* Length in bytes of the address (4 or 16), 0 when unset. */
size_t addr_len(const struct addr *a);

bool addr_equal(const struct addr *a, const struct addr *b);
/* Total order: IPv4 before IPv6 before an unset address (family 0),
 * then by bytes. */
int addr_cmp(const struct addr *a, const struct addr *b);
/* addr_cmp for qsort and bsearch over arrays of struct addr. */
int addr_cmp_qsort(const void *a, const void *b);
/* 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
bool addr_is_loopback(const struct addr *a);
/* IPv6 link-local fe80::/10 or IPv4 169.254.0.0/16. */
bool addr_is_link_local(const struct addr *a);

/*
 * Parse "198.51.100.10/24" or "2001:db8::/48". A host address inside the
 * network means its network (host bits are cleared). A bare address is a
 * host route (/32 or /128). Returns 0 or -EINVAL.
 */
int addr_cidr_parse(const char *s, struct addr_cidr *out);

/* "net/prefix" into buf (at least ADDR_CIDR_STRLEN). Returns buf. */
char *addr_cidr_format(const struct addr_cidr *c, char *buf, size_t len);

/* Does the CIDR contain the address (same family only)? */
bool addr_cidr_contains(const struct addr_cidr *c, const struct addr *a);

/* The host CIDR of an address: /32 or /128. */
void addr_cidr_host(struct addr_cidr *out, const struct addr *a);

#endif
