//! The configuration syntax tree both native HCL and JSON syntax are converted into.
//!
//! It is smaller than hcl-edit's tree (no whitespace or comments) and carries byte spans into
//! the file it came from, so the evaluator can point every value at its source.

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: clamp_u32(start),
            end: clamp_u32(end),
        }
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An identifier, attribute or block name: short ones (nearly all) are stored inline.
pub type Ident = compact_str::CompactString;

/// A body: attributes and blocks in source order.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| &*a.name == name)
    }

    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| &*b.kind == kind)
    }
}

/// `name = expr`
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: Ident,
    /// The whole attribute (`name = expr`).
    pub span: Span,
    pub expr: Expr,
}

/// `kind "label" … { body }`
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: Ident,
    pub labels: Vec<Ident>,
    /// The block header start to the end of the block.
    pub span: Span,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    /// A string without interpolation.
    String(Ident),
    Template(Vec<TemplatePart>),
    Array(Vec<Expr>),
    Object(Vec<(ObjectKey, Expr)>),
    Variable(Ident),
    Traversal(Box<Expr>, Vec<TraversalOp>),
    FuncCall {
        name: Ident,
        args: Vec<Expr>,
        expand_final: bool,
    },
    Conditional(Box<(Expr, Expr, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<(Expr, Expr)>),
    For(Box<ForExpr>),
}

#[derive(Debug, Clone)]
pub enum ObjectKey {
    /// A bare identifier key: a literal string.
    Ident(Ident),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub enum TraversalOp {
    GetAttr(Ident),
    Index(Expr),
    AttrSplat,
    FullSplat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    LessEq,
    GreaterEq,
    Less,
    Greater,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Debug, Clone)]
pub struct ForExpr {
    pub key_var: Option<Ident>,
    pub value_var: Ident,
    pub collection: Expr,
    pub key_expr: Option<Expr>,
    pub value_expr: Expr,
    pub grouping: bool,
    pub cond: Option<Expr>,
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Literal(String),
    Interpolation(Expr),
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        otherwise: Vec<TemplatePart>,
    },
    For {
        key_var: Option<Ident>,
        value_var: Ident,
        collection: Expr,
        body: Vec<TemplatePart>,
    },
}
