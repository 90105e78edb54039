//! Native HCL syntax (`.tf`, `.tfvars`) through hcl-edit, converted into [`ast`](super::ast).
use hcl_edit::Span as _;
use hcl_edit::expr::{self as hexpr, Expression};
use hcl_edit::structure::{self as hstruct, Structure};
use hcl_edit::template::{Directive, Element, Strip, Template};

use super::ast::*;

/// How spans of the hcl-edit tree map onto the file.
#[derive(Clone, Copy)]
pub(crate) enum SpanMode {
    /// Spans are offsets from `base` (a whole file, or a JSON string without escapes).
    Offset(usize),
    /// Every node gets this span (a JSON string with escapes: offsets inside do not map).
    Fixed(Span),
}

impl SpanMode {
    fn map(self, range: Option<std::ops::Range<usize>>) -> Span {
        match self {
            SpanMode::Offset(base) => match range {
                Some(r) => Span::new(base + r.start, base + r.end),
                None => Span::new(base, base),
            },
            SpanMode::Fixed(span) => span,
        }
    }
}

/// Parses a native-syntax body.
pub(crate) fn parse_body(text: &str) -> Result<Body, hcl_edit::parser::Error> {
    let body = hcl_edit::parser::parse_body(text)?;
    Ok(convert_body(&body, SpanMode::Offset(0)))
}

/// Parses a part of a file that starts at byte `offset` of it.
pub(crate) fn parse_body_at(text: &str, offset: usize) -> Result<Body, hcl_edit::parser::Error> {
    let body = hcl_edit::parser::parse_body(text)?;
    Ok(convert_body(&body, SpanMode::Offset(offset)))
}

/// Parses a template (the content of a JSON-syntax string) into an expression.
pub(crate) fn parse_template_expr(
    text: &str,
    mode: SpanMode,
    whole: Span,
) -> Result<Expr, hcl_edit::parser::Error> {
    let template = hcl_edit::parser::parse_template(text)?;
    let parts = convert_template(&template, mode);
    Ok(Expr {
        kind: ExprKind::Template(parts),
        span: whole,
    })
}

/// Parses a standalone expression (a `--var` value of a complex type).
pub(crate) fn parse_expr(text: &str) -> Result<Expr, hcl_edit::parser::Error> {
    let expr = hcl_edit::parser::parse_expr(text)?;
    Ok(convert_expr(&expr, SpanMode::Offset(0)))
}

fn convert_body(body: &hstruct::Body, mode: SpanMode) -> Body {
    let mut out = Body::default();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.attributes.push(Attribute {
                name: attr.key.value().as_str().into(),
                span: mode.map(attr.span()),
                expr: convert_expr(&attr.value, mode),
            }),
            Structure::Block(block) => out.blocks.push(convert_block(block, mode)),
        }
    }
    out
}

fn convert_block(block: &hstruct::Block, mode: SpanMode) -> Block {
    let header_start = block.ident.span().map(|r| r.start);
    let mut span = mode.map(block.span());
    if let (Some(start), SpanMode::Offset(base)) = (header_start, mode) {
        span.start = Span::new(base + start, base + start).start;
    }
    Block {
        kind: block.ident.value().as_str().into(),
        labels: block.labels.iter().map(|l| l.as_str().into()).collect(),
        span,
        body: convert_body(&block.body, mode),
    }
}

fn convert_expr(expr: &Expression, mode: SpanMode) -> Expr {
    let span = mode.map(expr.span());
    let kind = match expr {
        Expression::Null(_) => ExprKind::Null,
        Expression::Bool(b) => ExprKind::Bool(*b.value()),
        Expression::Number(n) => ExprKind::Number(n.value().as_f64().unwrap_or(f64::NAN)),
        Expression::String(s) => ExprKind::String(s.value().as_str().into()),
        Expression::Array(items) => {
            ExprKind::Array(items.iter().map(|e| convert_expr(e, mode)).collect())
        }
        Expression::Object(object) => ExprKind::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        hexpr::ObjectKey::Ident(ident) => {
                            ObjectKey::Ident(ident.value().as_str().into())
                        }
                        hexpr::ObjectKey::Expression(e) => match convert_expr(e, mode) {
                            // `"key" = …` is a literal key too.
                            Expr {
                                kind: ExprKind::String(s),
                                ..
                            } => ObjectKey::Ident(s),
                            other => ObjectKey::Expr(other),
                        },
                    };
                    (key, convert_expr(value.expr(), mode))
                })
                .collect(),
        ),
        Expression::StringTemplate(t) => ExprKind::Template(convert_template(t, mode)),
        Expression::HeredocTemplate(h) => ExprKind::Template(convert_template(&h.template, mode)),
        // Parentheses are not kept, but their span is (as the fast parser does).
        Expression::Parenthesis(p) => {
            let mut inner = convert_expr(p.inner(), mode);
            inner.span = span;
            return inner;
        }
        Expression::Variable(v) => ExprKind::Variable(v.value().as_str().into()),
        Expression::Conditional(c) => ExprKind::Conditional(Box::new((
            convert_expr(&c.cond_expr, mode),
            convert_expr(&c.true_expr, mode),
            convert_expr(&c.false_expr, mode),
        ))),
        Expression::FuncCall(call) => {
            let mut name = String::new();
            for ns in &call.name.namespace {
                name.push_str(ns.value().as_str());
                name.push_str("::");
            }
            name.push_str(call.name.name.value().as_str());
            ExprKind::FuncCall {
                name: name.into(),
                args: call.args.iter().map(|e| convert_expr(e, mode)).collect(),
                expand_final: call.args.expand_final(),
            }
        }
        Expression::Traversal(t) => ExprKind::Traversal(
            Box::new(convert_expr(&t.expr, mode)),
            t.operators
                .iter()
                .map(|op| match op.value() {
                    hexpr::TraversalOperator::AttrSplat(_) => TraversalOp::AttrSplat,
                    hexpr::TraversalOperator::FullSplat(_) => TraversalOp::FullSplat,
                    hexpr::TraversalOperator::GetAttr(ident) => {
                        TraversalOp::GetAttr(ident.value().as_str().into())
                    }
                    hexpr::TraversalOperator::Index(e) => TraversalOp::Index(convert_expr(e, mode)),
                    hexpr::TraversalOperator::LegacyIndex(i) => {
                        let span = mode.map(i.span());
                        TraversalOp::Index(Expr {
                            kind: ExprKind::Number(*i.value() as f64),
                            span,
                        })
                    }
                })
                .collect(),
        ),
        Expression::UnaryOp(op) => {
            let kind = match op.operator.value() {
                hexpr::UnaryOperator::Neg => UnaryOp::Neg,
                hexpr::UnaryOperator::Not => UnaryOp::Not,
            };
            ExprKind::Unary(kind, Box::new(convert_expr(&op.expr, mode)))
        }
        Expression::BinaryOp(op) => {
            use hexpr::BinaryOperator as B;
            let kind = match op.operator.value() {
                B::Eq => BinaryOp::Eq,
                B::NotEq => BinaryOp::NotEq,
                B::LessEq => BinaryOp::LessEq,
                B::GreaterEq => BinaryOp::GreaterEq,
                B::Less => BinaryOp::Less,
                B::Greater => BinaryOp::Greater,
                B::Plus => BinaryOp::Plus,
                B::Minus => BinaryOp::Minus,
                B::Mul => BinaryOp::Mul,
                B::Div => BinaryOp::Div,
                B::Mod => BinaryOp::Mod,
                B::And => BinaryOp::And,
                B::Or => BinaryOp::Or,
            };
            ExprKind::Binary(
                kind,
                Box::new((
                    convert_expr(&op.lhs_expr, mode),
                    convert_expr(&op.rhs_expr, mode),
                )),
            )
        }
        Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
            key_var: f.intro.key_var.as_ref().map(|k| k.value().as_str().into()),
            value_var: f.intro.value_var.value().as_str().into(),
            collection: convert_expr(&f.intro.collection_expr, mode),
            key_expr: f.key_expr.as_ref().map(|e| convert_expr(e, mode)),
            value_expr: convert_expr(&f.value_expr, mode),
            grouping: f.grouping,
            cond: f.cond.as_ref().map(|c| convert_expr(&c.expr, mode)),
        })),
    };
    Expr { kind, span }
}

/// Converts template elements, applying `~` strip markers to the neighbouring literals.
fn convert_template(template: &Template, mode: SpanMode) -> Vec<TemplatePart> {
    let mut parts: Vec<TemplatePart> = Vec::new();
    let mut strip_next = false;
    for element in template.iter() {
        match element {
            Element::Literal(lit) => {
                let text: &str = lit.value();
                let text = if strip_next { text.trim_start() } else { text };
                strip_next = false;
                parts.push(TemplatePart::Literal(text.to_string()));
            }
            Element::Interpolation(interp) => {
                strip_before(&mut parts, interp.strip);
                parts.push(TemplatePart::Interpolation(convert_expr(
                    &interp.expr,
                    mode,
                )));
                strip_next = interp.strip.strip_end();
            }
            Element::Directive(directive) => match directive.as_ref() {
                Directive::If(d) => {
                    strip_before(&mut parts, d.if_expr.strip);
                    parts.push(TemplatePart::If {
                        cond: convert_expr(&d.if_expr.cond_expr, mode),
                        then: convert_template(&d.if_expr.template, mode),
                        otherwise: d
                            .else_expr
                            .as_ref()
                            .map(|e| convert_template(&e.template, mode))
                            .unwrap_or_default(),
                    });
                    strip_next = d.endif_expr.strip.strip_end();
                }
                Directive::For(d) => {
                    strip_before(&mut parts, d.for_expr.strip);
                    parts.push(TemplatePart::For {
                        key_var: d
                            .for_expr
                            .key_var
                            .as_ref()
                            .map(|k| k.value().as_str().into()),
                        value_var: d.for_expr.value_var.value().as_str().into(),
                        collection: convert_expr(&d.for_expr.collection_expr, mode),
                        body: convert_template(&d.for_expr.template, mode),
                    });
                    strip_next = d.endfor_expr.strip.strip_end();
                }
            },
        }
    }
    parts
}

fn strip_before(parts: &mut [TemplatePart], strip: Strip) {
    if strip.strip_start()
        && let Some(TemplatePart::Literal(text)) = parts.last_mut()
    {
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
    }
}
