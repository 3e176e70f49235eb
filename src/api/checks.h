/*
 * checks.h — string checks for field_spec tables (validate.h), and the
 * normalisation of times to UTC. Included only by src/api/.
 */
#ifndef LU_CHECKS_H
#define LU_CHECKS_H

#include <jansson.h>
#include <stdbool.h>

bool check_date(const char *s);     /* YYYY-MM-DD, a real day */
bool check_time(const char *s);     /* RFC 3339 */
bool check_email(const char *s);
bool check_phone(const char *s);    /* E.164 */
bool check_currency(const char *s); /* three letters */
bool check_not_blank(const char *s);
bool check_item_kind(const char *s);
bool check_priority(const char *s);
bool check_id(const char *s); /* an id-shaped token: letters, digits, _ and - */

/* Rewrites obj[field], when it is a string, as RFC 3339 UTC seconds
 * ("…Z") so times compare as text. False when it does not parse. */
bool normalise_time(json_t *obj, const char *field);

#endif
