/*
 * gate.h - release-gate rules: parse and evaluate one rule against a run's
 * metric.
 *
 * Grammar (whitespace between tokens is free):
 *   rule    := METRIC op expr | METRIC 'between' expr expr
 *   op      := '>=' | '>' | '<=' | '<' | '==' | '!='
 *   expr    := term (('+' | '-') term)*
 *   term    := factor (('*' | '/') factor)*
 *   factor  := NUMBER | 'baseline' | '-' factor | '+' factor | '(' expr ')'
 *   METRIC  := [A-Za-z_][A-Za-z0-9_./]*   (as stored: forget_quality,
 *              model_utility, prob/forget, ou/privleak, ...)
 * 'baseline' is the same metric in the baseline run. `between A B` holds
 * when A <= value <= B (and needs A <= B); `A and B` and `A, B` are read
 * too. Since `between 1 -5` reads as the single bound 1 - 5, a negative
 * upper bound needs parentheses: `between -10 (-5)`. == and != compare
 * exactly.
 * Examples: `forget_quality >= 0.05`, `model_utility >= 0.95 * baseline`,
 * `privleak between -5 5`, `ks_statistic < 0.2`.
 *
 * Ownership: a parsed rule is the caller's, freed with uh_gate_rule_free();
 * the rule text is copied.
 */
#ifndef UH_REPORT_GATE_H
#define UH_REPORT_GATE_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest rule text accepted, and most expression nodes in one rule. */
#define UH_GATE_MAX_TEXT 1024
#define UH_GATE_MAX_NODES 128

struct uh_gate_rule;   /* opaque */

enum uh_gate_op { UH_GATE_GE, UH_GATE_GT, UH_GATE_LE, UH_GATE_LT, UH_GATE_EQ, UH_GATE_NE,
		  UH_GATE_BETWEEN };

/*
 * Parse text into *out. On a malformed rule returns UH_EINVAL, *col is the
 * 1-based column (byte) where it went wrong and err says what was expected
 * there ("column 19: expected a number, 'baseline' or '('").
 */
int uh_gate_parse(const char *text, struct uh_gate_rule **out, size_t *col, struct uh_err *err);

void uh_gate_rule_free(struct uh_gate_rule *r);

/* The metric name the rule tests (borrowed from r). */
const char *uh_gate_rule_metric(const struct uh_gate_rule *r);

/* The rule's text as given (borrowed from r). */
const char *uh_gate_rule_text(const struct uh_gate_rule *r);

enum uh_gate_op uh_gate_rule_op(const struct uh_gate_rule *r);

/* The operator as written (">=", "between", ...). Static. */
const char *uh_gate_op_name(enum uh_gate_op op);

/* True when the rule's expressions use 'baseline'. */
bool uh_gate_rule_uses_baseline(const struct uh_gate_rule *r);

/* The outcome of a rule. */
struct uh_gate_result {
	bool pass;
	double value;            /* the measured value */
	double lo, hi;           /* the threshold (lo), or the between bounds (lo, hi) */
};

/*
 * Evaluate r for the measured value, baseline being the metric in the
 * baseline run (NULL when there is none: a rule using it fails with
 * UH_EINVAL). A threshold that is not finite (division by zero, overflow)
 * is UH_ENUM; `between A B` with A > B is UH_EINVAL.
 */
int uh_gate_eval(const struct uh_gate_rule *r, double value, const double *baseline,
		 struct uh_gate_result *res, struct uh_err *err);

#endif
