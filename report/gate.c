#include "report/gate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An expression node: a number, 'baseline', a negation or a binary operation. */
struct node {
	char kind;               /* 'n' number, 'b' baseline, 'u' minus, '+', '-', '*', '/' */
	double v;
	int a, b;                /* operand node indices */
};

struct uh_gate_rule {
	char *text;
	char *metric;
	enum uh_gate_op op;
	int lhs, rhs;            /* rhs: the threshold, or with between lhs..rhs the bounds */
	bool uses_baseline;
	struct node nodes[UH_GATE_MAX_NODES];
	int n_nodes;
};

/* Deepest nesting of parentheses and unary signs. */
#define MAX_DEPTH 64

/* ================================================================ parsing */

struct parser {
	const char *s;
	size_t pos;
	struct uh_gate_rule *r;
	int depth;
	size_t col;              /* where the error is (1-based) */
	struct uh_err *err;
};

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
		p->pos++;
}

/* Fail at byte offset at: the column and a message naming what was found. */
static int fail_at(struct parser *p, size_t at, const char *expected)
{
	char found[40];
	const char *s = p->s + at;

	if (!*s)
		snprintf(found, sizeof(found), "the end of the rule");
	else if (isprint((unsigned char)*s))
		snprintf(found, sizeof(found), "'%c'", *s);
	else
		snprintf(found, sizeof(found), "byte 0x%02x", (unsigned char)*s);
	p->col = at + 1;
	return uh_err_set(p->err, UH_EINVAL, "column %zu: expected %s, found %s", at + 1, expected,
			  found);
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '/';
}

/* A name inside a threshold: no '/' (division) and no '.' (a number's point). */
static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int new_node(struct parser *p, char kind, double v, int a, int b, int *out)
{
	struct node *nd;

	if (p->r->n_nodes >= UH_GATE_MAX_NODES) {
		p->col = p->pos + 1;
		return uh_err_set(p->err, UH_EINVAL, "column %zu: rule too long (at most %d terms)",
				  p->pos + 1, UH_GATE_MAX_NODES);
	}
	nd = &p->r->nodes[p->r->n_nodes];
	nd->kind = kind;
	nd->v = v;
	nd->a = a;
	nd->b = b;
	*out = p->r->n_nodes++;
	return 0;
}

/* A decimal number: digits [. digits] [e [+-] digits], or . digits ... */
static int number(struct parser *p, int *out)
{
	size_t start = p->pos, i = p->pos;
	bool digits = false;
	char buf[80];
	double v;

	while (isdigit((unsigned char)p->s[i])) {
		i++;
		digits = true;
	}
	if (p->s[i] == '.') {
		i++;
		while (isdigit((unsigned char)p->s[i])) {
			i++;
			digits = true;
		}
	}
	if (!digits)
		return fail_at(p, start, "a number");
	if (p->s[i] == 'e' || p->s[i] == 'E') {
		size_t j = i + 1;

		if (p->s[j] == '+' || p->s[j] == '-')
			j++;
		if (!isdigit((unsigned char)p->s[j]))
			return fail_at(p, j, "the digits of an exponent");
		while (isdigit((unsigned char)p->s[j]))
			j++;
		i = j;
	}
	if (is_word(p->s[i]) || p->s[i] == '.')
		return fail_at(p, i, "an operator or the end of the rule after a number");
	if (i - start >= sizeof(buf))
		return fail_at(p, start, "a number of at most 79 characters");
	memcpy(buf, p->s + start, i - start);
	buf[i - start] = '\0';
	v = strtod(buf, NULL);
	if (!isfinite(v)) {
		p->col = start + 1;
		return uh_err_set(p->err, UH_EINVAL, "column %zu: number '%s' is out of range",
				  start + 1, buf);
	}
	p->pos = i;
	return new_node(p, 'n', v, -1, -1, out);
}

static int expr(struct parser *p, int *out);

static int factor(struct parser *p, int *out)
{
	char c;
	int rc, a;

	skip_ws(p);
	c = p->s[p->pos];
	if (c == '-' || c == '+' || c == '(') {
		if (++p->depth > MAX_DEPTH)
			return fail_at(p, p->pos, "less nesting");
		p->pos++;
		if (c == '(') {
			rc = expr(p, &a);
			if (rc)
				return rc;
			skip_ws(p);
			if (p->s[p->pos] != ')')
				return fail_at(p, p->pos, "')'");
			p->pos++;
			*out = a;
		} else {
			rc = factor(p, &a);
			if (rc)
				return rc;
			if (c == '-')
				rc = new_node(p, 'u', 0, a, -1, out);
			else
				*out = a;
		}
		p->depth--;
		return rc;
	}
	if (isdigit((unsigned char)c) || c == '.')
		return number(p, out);
	if (is_ident_start(c)) {
		size_t start = p->pos, n;

		while (is_word(p->s[p->pos]))
			p->pos++;
		n = p->pos - start;
		if (n == 8 && !strncmp(p->s + start, "baseline", 8)) {
			p->r->uses_baseline = true;
			return new_node(p, 'b', 0, -1, -1, out);
		}
		p->col = start + 1;
		return uh_err_set(p->err, UH_EINVAL,
				  "column %zu: unknown name '%.*s' (a threshold is built from numbers,"
				  " 'baseline', + - * / and parentheses)", start + 1, (int)(n > 60 ? 60 : n),
				  p->s + start);
	}
	return fail_at(p, p->pos, "a number, 'baseline' or '('");
}

static int term(struct parser *p, int *out)
{
	int rc = factor(p, out);

	while (!rc) {
		char c;
		int b;

		skip_ws(p);
		c = p->s[p->pos];
		if (c != '*' && c != '/')
			break;
		p->pos++;
		rc = factor(p, &b);
		if (!rc)
			rc = new_node(p, c, 0, *out, b, out);
	}
	return rc;
}

static int expr(struct parser *p, int *out)
{
	int rc = term(p, out);

	while (!rc) {
		char c;
		int b;

		skip_ws(p);
		c = p->s[p->pos];
		if (c != '+' && c != '-')
			break;
		p->pos++;
		rc = term(p, &b);
		if (!rc)
			rc = new_node(p, c, 0, *out, b, out);
	}
	return rc;
}

static const char *const op_names[] = { ">=", ">", "<=", "<", "==", "!=", "between" };

const char *uh_gate_op_name(enum uh_gate_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

int uh_gate_parse(const char *text, struct uh_gate_rule **out, size_t *col, struct uh_err *err)
{
	struct parser p = { 0 };
	struct uh_gate_rule *r;
	size_t len, start;
	int rc;

	*out = NULL;
	*col = 0;
	if (!text)
		text = "";
	len = strlen(text);
	if (len > UH_GATE_MAX_TEXT) {
		*col = UH_GATE_MAX_TEXT + 1;
		return uh_err_set(err, UH_EINVAL, "column %d: rule too long (at most %d characters)",
				  UH_GATE_MAX_TEXT + 1, UH_GATE_MAX_TEXT);
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->text = strdup(text))) {
		free(r);
		return uh_err_set(err, UH_ENOMEM, "out of memory parsing a rule");
	}
	p.s = r->text;
	p.r = r;
	p.err = err;

	/* the metric */
	skip_ws(&p);
	start = p.pos;
	if (!is_ident_start(p.s[p.pos])) {
		rc = fail_at(&p, p.pos, "a metric name");
		goto fail;
	}
	while (is_ident(p.s[p.pos]))
		p.pos++;
	r->metric = strndup(p.s + start, p.pos - start);
	if (!r->metric) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory parsing a rule");
		goto fail;
	}
	if (!strcmp(r->metric, "baseline") || !strcmp(r->metric, "between")) {
		p.col = start + 1;
		rc = uh_err_set(err, UH_EINVAL, "column %zu: a rule starts with a metric name, not '%s'",
				start + 1, r->metric);
		goto fail;
	}

	/* the operator */
	skip_ws(&p);
	{
		const char *s = p.s + p.pos;

		if (!strncmp(s, ">=", 2)) r->op = UH_GATE_GE, p.pos += 2;
		else if (!strncmp(s, "<=", 2)) r->op = UH_GATE_LE, p.pos += 2;
		else if (!strncmp(s, "==", 2)) r->op = UH_GATE_EQ, p.pos += 2;
		else if (!strncmp(s, "!=", 2)) r->op = UH_GATE_NE, p.pos += 2;
		else if (*s == '>') r->op = UH_GATE_GT, p.pos += 1;
		else if (*s == '<') r->op = UH_GATE_LT, p.pos += 1;
		else if (!strncmp(s, "between", 7) && !is_ident(s[7])) r->op = UH_GATE_BETWEEN, p.pos += 7;
		else {
			rc = fail_at(&p, p.pos, *s == '=' ? "'==' (one '=' is not a comparison)"
							   : "a comparison (>= > <= < == !=) or 'between'");
			goto fail;
		}
	}

	/* the threshold, or the two bounds */
	if (r->op == UH_GATE_BETWEEN) {
		rc = expr(&p, &r->lhs);
		if (rc)
			goto fail;
		skip_ws(&p);
		if (p.s[p.pos] == ',' || !strncmp(p.s + p.pos, "and", 3)) /* tolerate `A and B`, `A, B` */
			p.pos += p.s[p.pos] == ',' ? 1 : 3;
		rc = expr(&p, &r->rhs);
	} else {
		r->lhs = -1;
		rc = expr(&p, &r->rhs);
	}
	if (rc)
		goto fail;
	skip_ws(&p);
	if (p.s[p.pos]) {
		rc = fail_at(&p, p.pos, r->op == UH_GATE_BETWEEN ? "the end of the rule after two bounds"
								 : "an operator or the end of the rule");
		goto fail;
	}
	*out = r;
	return 0;

fail:
	*col = p.col ? p.col : 1;
	uh_gate_rule_free(r);
	return rc;
}

void uh_gate_rule_free(struct uh_gate_rule *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->metric);
	free(r);
}

const char *uh_gate_rule_metric(const struct uh_gate_rule *r)
{
	return r->metric;
}

const char *uh_gate_rule_text(const struct uh_gate_rule *r)
{
	return r->text;
}

enum uh_gate_op uh_gate_rule_op(const struct uh_gate_rule *r)
{
	return r->op;
}

bool uh_gate_rule_uses_baseline(const struct uh_gate_rule *r)
{
	return r->uses_baseline;
}

/* ================================================================ evaluating */

/* Nodes refer only to earlier nodes, so the recursion is as deep as the parse was. */
static double eval_node(const struct uh_gate_rule *r, int i, double baseline)
{
	const struct node *nd = &r->nodes[i];

	switch (nd->kind) {
	case 'n': return nd->v;
	case 'b': return baseline;
	case 'u': return -eval_node(r, nd->a, baseline);
	case '+': return eval_node(r, nd->a, baseline) + eval_node(r, nd->b, baseline);
	case '-': return eval_node(r, nd->a, baseline) - eval_node(r, nd->b, baseline);
	case '*': return eval_node(r, nd->a, baseline) * eval_node(r, nd->b, baseline);
	default: return eval_node(r, nd->a, baseline) / eval_node(r, nd->b, baseline);
	}
}

int uh_gate_eval(const struct uh_gate_rule *r, double value, const double *baseline,
		 struct uh_gate_result *res, struct uh_err *err)
{
	double b = baseline ? *baseline : NAN;

	memset(res, 0, sizeof(*res));
	res->value = value;
	if (r->uses_baseline && !baseline)
		return uh_err_set(err, UH_EINVAL, "rule '%s' uses 'baseline': give --baseline RUN",
				  r->text);
	res->hi = eval_node(r, r->rhs, b);
	res->lo = r->op == UH_GATE_BETWEEN ? eval_node(r, r->lhs, b) : res->hi;
	if (!isfinite(res->lo) || !isfinite(res->hi))
		return uh_err_set(err, UH_ENUM, "rule '%s': the threshold is not a finite number"
				  " (division by zero or overflow)", r->text);
	if (r->op == UH_GATE_BETWEEN && res->lo > res->hi)
		return uh_err_set(err, UH_EINVAL, "rule '%s': between needs its lower bound first"
				  " (%.6g > %.6g)", r->text, res->lo, res->hi);
	if (isnan(value)) {
		res->pass = false;
		return 0;
	}
	switch (r->op) {
	case UH_GATE_GE: res->pass = value >= res->hi; break;
	case UH_GATE_GT: res->pass = value > res->hi; break;
	case UH_GATE_LE: res->pass = value <= res->hi; break;
	case UH_GATE_LT: res->pass = value < res->hi; break;
	case UH_GATE_EQ: res->pass = value == res->hi; break;
	case UH_GATE_NE: res->pass = value != res->hi; break;
	case UH_GATE_BETWEEN: res->pass = value >= res->lo && value <= res->hi; break;
	}
	return 0;
}
