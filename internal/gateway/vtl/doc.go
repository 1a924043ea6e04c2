// Package vtl runs API Gateway mapping templates: the subset of Apache
// Velocity 1.7 that REST APIs use, with API Gateway's variables ($input,
// $util, $context, $stageVariables) and its departures from stock Velocity
// (a null reference prints as nothing; null equals ""; maps print as Java's
// {k=v}, JSON arrays as compact JSON; maps under $context print as nothing).
// ../shared/vtl-reference.md is the behaviour it follows.
//
// Data path:
//
//  1. Compile (once per deployment): parse.go turns the source into a tree
//     (text, references, #set/#if/#foreach/#break/#stop/#define/#macro/
//     #evaluate, comments, #[[unparsed]]#), refusing templates over
//     MaxTemplateSize and syntax errors with line:column. Whitespace follows
//     Velocity 1.7: a directive's ')' and #else/#end eat the rest of their
//     line when only spaces follow; #set eats the indentation before it.
//  2. Template.Render (per request): eval.go walks the tree over an Input
//     (body, parameters, $context, $stageVariables), with value.go's Java-like
//     values, methods.go's String/List/Map methods, input.go's $input and
//     $util, jsonpath.go's JSONPath subset and json.go's body parser.
//  3. The result: the rendered bytes and the overrides the template set under
//     $context.requestOverride / responseOverride (Output).
//
// A run-time failure is an *Error with the line and column and why; the
// gateway answers it with 500 and logs the reason. Rendering is bounded:
// MaxForeach iterations per loop (quietly, as AWS), MaxOutput bytes of
// output, nesting of macros/#define/#evaluate, the bytes of values a
// template may build, and the caller's context (checked on every loop
// iteration and call).
//
// Concurrency: a *Template is immutable (its regexp cache is locked) and
// may render on many goroutines at once; an Input and its Context belong to
// one request.
package vtl
