//! ## What it does
//! Finds paths from the workload to the public internet:
//!
//! - AWS: `aws_internet_gateway`, `aws_egress_only_internet_gateway`, public `aws_nat_gateway`s
//!   (`connectivity_type` other than `private`), routes to `0.0.0.0/0` or `::/0` (`aws_route`, `route`
//!   blocks of `aws_route_table`/`aws_default_route_table`), security-group egress to `0.0.0.0/0` or
//!   `::/0` (`egress` blocks, `aws_security_group_rule` with `type = "egress"`,
//!   `aws_vpc_security_group_egress_rule`), `associate_public_ip_address = true` (instances, launch
//!   templates), `map_public_ip_on_launch = true` (subnets), Elastic IPs attached to instances or
//!   network interfaces;
//! - Azure: `azurerm_public_ip`, `azurerm_nat_gateway`, allowed outbound NSG rules to `*`,
//!   `Internet` or `0.0.0.0/0`;
//! - Google: `access_config` on instances and instance templates (an external IP), firewall egress
//!   rules allowing `0.0.0.0/0`, `google_compute_router_nat`, external `google_compute_address`es.
//!
//! CIDR lists that cannot be resolved statically are reported as SOV010.
//!
//! ## Why is this bad?
//! A sovereign workload should reach only endpoints inside the jurisdiction (VPC endpoints, private
//! service connections). Open egress lets data — training sets, model weights, credentials — leave
//! to any host in any country, unseen by the residency controls.
//!
//! ## Example
//! ```hcl
//! resource "aws_security_group" "training" {
//!   vpc_id = aws_vpc.main.id
//!   egress {
//!     from_port   = 0
//!     to_port     = 0
//!     protocol    = "-1"
//!     cidr_blocks = ["0.0.0.0/0"]
//!   }
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! resource "aws_security_group" "training" {
//!   vpc_id = aws_vpc.main.id
//!   egress {
//!     from_port   = 443
//!     to_port     = 443
//!     protocol    = "tcp"
//!     cidr_blocks = ["10.20.0.0/16"]
//!   }
//! }
//! ```
//!
//! ## Options
//! - `[rules] SOV005 = "warn"` when egress goes through an inspected proxy (better: suppress the
//!   single rule inline with the reason).
use super::support::{Subject, blocks, finding, loc, unresolved};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{AttrMap, lookup};
use crate::model::{ResourceInstance, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV005",
    name: "public-egress",
    summary: "internet or NAT gateways, routes or security-group egress to 0.0.0.0/0 or ::/0, public IPs on instances",
    docs: docs::SOV005,
    default_severity: Severity::Error,
};

pub(crate) struct PublicEgress;

const PRIVATE_HELP: &str = "keep workloads private: reach cloud services through private endpoints (VPC endpoints, Private \
     Link, Private Service Connect) and other networks through an inspected proxy inside the jurisdiction";

/// Arguments that request a public IP address for instances or subnets.
pub(crate) fn is_public_ip_key(key: &str) -> bool {
    matches!(
        key,
        "associate_public_ip_address" | "map_public_ip_on_launch"
    )
}

impl Rule for PublicEgress {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for r in cx
            .model
            .resources
            .iter()
            .filter(|r| r.mode == crate::model::ResourceMode::Managed)
        {
            let subject = Subject::resource(r);
            let mut e = Emitter {
                cx,
                out: &mut *out,
                r,
            };
            match r.resource_type.as_str() {
                "aws_internet_gateway" => {
                    e.block("an internet gateway gives the VPC a route to the public internet")
                }
                "aws_egress_only_internet_gateway" => e.block(
                    "an egress-only internet gateway opens IPv6 egress to the public internet",
                ),
                "aws_nat_gateway" => {
                    let private =
                        r.attr("connectivity_type").and_then(Tracked::as_str) == Some("private");
                    if !private {
                        e.at(r.attr("connectivity_type"), "a public NAT gateway gives private subnets egress to the public internet".into());
                    }
                }
                "aws_route" => {
                    let help = route_help(&|k| r.attr(k));
                    e.cidr(r.attr("destination_cidr_block"), "routes", &help);
                    e.cidr(r.attr("destination_ipv6_cidr_block"), "routes", &help);
                }
                "aws_route_table" | "aws_default_route_table" => {
                    for route in blocks(cx, e.out, subject, "`route`", r.attr("route")) {
                        let help = route_help(&|k| route.get(k));
                        e.cidr(route.get("cidr_block"), "routes", &help);
                        e.cidr(route.get("ipv6_cidr_block"), "routes", &help);
                    }
                }
                "aws_security_group" | "aws_default_security_group" => {
                    for egress in blocks(cx, e.out, subject, "`egress`", r.attr("egress")) {
                        e.cidr(egress.get("cidr_blocks"), "allows egress", EGRESS_HELP);
                        e.cidr(egress.get("ipv6_cidr_blocks"), "allows egress", EGRESS_HELP);
                    }
                }
                "aws_security_group_rule" => {
                    // Fails closed: a rule whose direction is not known may be egress.
                    let egress = match r.attr("type") {
                        Some(t) if t.unknown_reason().is_some() => {
                            unresolved(cx, e.out, subject, "`type`", t);
                            false
                        }
                        t => t.and_then(Tracked::as_str) == Some("egress"),
                    };
                    if egress {
                        e.cidr(r.attr("cidr_blocks"), "allows egress", EGRESS_HELP);
                        e.cidr(r.attr("ipv6_cidr_blocks"), "allows egress", EGRESS_HELP);
                    }
                }
                "aws_vpc_security_group_egress_rule" => {
                    e.cidr(r.attr("cidr_ipv4"), "allows egress", EGRESS_HELP);
                    e.cidr(r.attr("cidr_ipv6"), "allows egress", EGRESS_HELP);
                }
                "aws_eip" => {
                    for attr in ["instance", "network_interface"] {
                        if let Some(t) = r.attr(attr).filter(|t| !t.is_null()) {
                            e.at(Some(t), format!("an Elastic IP attached through `{attr}` gives the workload a public address"));
                        }
                    }
                }
                "aws_eip_association" => {
                    e.block("an Elastic IP association gives the workload a public address")
                }
                "azurerm_public_ip" | "azurerm_public_ip_prefix" => e.block(
                    "a public IP makes the workload reachable from and able to reach the internet",
                ),
                "azurerm_nat_gateway" => {
                    e.block("a NAT gateway gives subnets egress to the public internet")
                }
                "azurerm_network_security_rule" => e.nsg_rule(&r.attributes),
                "azurerm_network_security_group" => {
                    for rule in blocks(
                        cx,
                        e.out,
                        subject,
                        "`security_rule`",
                        r.attr("security_rule"),
                    ) {
                        if let Some(m) = rule.as_map() {
                            e.nsg_rule(m);
                        }
                    }
                }
                "google_compute_instance"
                | "google_compute_instance_template"
                | "google_compute_region_instance_template" => {
                    for nic in blocks(
                        cx,
                        e.out,
                        subject,
                        "`network_interface`",
                        r.attr("network_interface"),
                    ) {
                        if let Some(ac) = nic.get("access_config").filter(|t| !t.items().is_empty())
                        {
                            e.at_location(
                                loc(ac, &r.location),
                                "`access_config` gives the instance an external IP address".into(),
                            );
                        }
                    }
                }
                "google_compute_firewall" => {
                    let egress = r
                        .attr("direction")
                        .and_then(Tracked::as_str)
                        .is_some_and(|d| d.eq_ignore_ascii_case("EGRESS"));
                    let allows = r.attr("allow").is_some_and(|t| !t.items().is_empty());
                    if egress && allows {
                        e.cidr(r.attr("destination_ranges"), "allows egress", EGRESS_HELP);
                    }
                }
                "google_compute_router_nat" => {
                    e.block("Cloud NAT gives private instances egress to the public internet")
                }
                "google_compute_address" => {
                    let external = r
                        .attr("address_type")
                        .and_then(Tracked::as_str)
                        .is_none_or(|t| t.eq_ignore_ascii_case("EXTERNAL"));
                    if external {
                        e.at(
                            r.attr("address_type"),
                            "an external address is a public IP".into(),
                        );
                    }
                }
                _ => {}
            }
            // Public IPs requested anywhere in the resource (instances, launch templates, subnets),
            // outside its tag and label maps.
            let public_ip = cx.may_hold(r, super::support::features::PUBLIC_IP_KEY);
            for (name, t) in r
                .attributes
                .iter()
                .filter(|(name, _)| public_ip && !super::support::is_tag_map(name))
            {
                if !super::support::any_key(name, t, &is_public_ip_key) {
                    continue;
                }
                let mut hits = Vec::new();
                super::support::walk_values(
                    t,
                    &mut super::support::attr_path(name),
                    &mut |path, v| {
                        let key = super::support::last_key(path);
                        if is_public_ip_key(key) && v.as_bool() == Some(true) {
                            hits.push((key.to_string(), v));
                        }
                    },
                );
                for (key, v) in hits {
                    e.at(
                        Some(v),
                        format!("`{key} = true` gives the workload a public IP address"),
                    );
                }
            }
        }
    }
}

struct Emitter<'c, 'a, 'm> {
    cx: &'c RuleContext<'a>,
    out: &'c mut Vec<Finding>,
    r: &'m ResourceInstance,
}

impl Emitter<'_, '_, '_> {
    fn block(&mut self, why: &str) {
        self.at(None, why.to_string());
    }

    fn at_location(&mut self, location: crate::model::Location, why: String) {
        self.out.push(finding(
            INFO.id,
            Subject::resource(self.r),
            location,
            format!("{}: {why}", self.r.address),
            None,
            PRIVATE_HELP,
        ));
    }

    fn at(&mut self, t: Option<&Tracked>, why: String) {
        let location = t.map_or_else(|| self.r.location.clone(), |t| loc(t, &self.r.location));
        self.out.push(finding(
            INFO.id,
            Subject::resource(self.r),
            location,
            format!("{}: {why}", self.r.address),
            t,
            PRIVATE_HELP,
        ));
    }

    /// A CIDR or list of CIDRs: `0.0.0.0/0` and `::/0` open egress to everything.
    fn cidr(&mut self, t: Option<&Tracked>, verb: &str, help: &str) {
        let Some(t) = t else { return };
        for item in t.items() {
            match &item.value {
                Value::String(s) if is_everywhere(s) => {
                    let location = loc(item, &self.r.location);
                    self.out.push(finding(
                        INFO.id,
                        Subject::resource(self.r),
                        location,
                        format!("{} {verb} to {s}, the whole internet", self.r.address),
                        Some(item),
                        help.to_string(),
                    ));
                }
                Value::Unknown(_) => unresolved(
                    self.cx,
                    self.out,
                    Subject::resource(self.r),
                    "a destination CIDR",
                    item,
                ),
                _ => {}
            }
        }
    }

    fn nsg_rule(&mut self, rule: &AttrMap) {
        let is = |key: &str, want: &str| {
            lookup(rule, key)
                .and_then(Tracked::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(want))
        };
        if !(is("direction", "Outbound") && is("access", "Allow")) {
            return;
        }
        let mut targets: Vec<&Tracked> = Vec::new();
        if let Some(t) = lookup(rule, "destination_address_prefix") {
            targets.push(t);
        }
        if let Some(t) = lookup(rule, "destination_address_prefixes") {
            targets.extend(t.items());
        }
        for t in targets {
            if let Some(s) = t.as_str()
                && (s == "*" || s.eq_ignore_ascii_case("Internet") || is_everywhere(s))
            {
                self.out.push(finding(
                    INFO.id,
                    Subject::resource(self.r),
                    loc(t, &self.r.location),
                    format!("{} allows outbound traffic to \"{s}\", the whole internet", self.r.address),
                    Some(t),
                    "allow outbound traffic only to VirtualNetwork, private endpoints or service tags of in-jurisdiction regions",
                ));
            }
        }
    }
}

/// Where a route can send its traffic (`aws_route` arguments and `route` blocks): the target's
/// name in help text, and whether it is a private hop that forwards traffic on (rather than a
/// gateway out of the network).
const ROUTE_TARGETS: [(&str, &str, bool); 11] = [
    ("transit_gateway_id", "transit gateway", true),
    ("vpc_peering_connection_id", "VPC peering connection", true),
    ("vpc_endpoint_id", "VPC endpoint", true),
    ("network_interface_id", "network interface", true),
    ("instance_id", "instance", true),
    ("core_network_arn", "Cloud WAN core network", true),
    ("local_gateway_id", "local gateway", true),
    ("gateway_id", "gateway", false),
    ("nat_gateway_id", "NAT gateway", false),
    (
        "egress_only_gateway_id",
        "egress-only internet gateway",
        false,
    ),
    ("carrier_gateway_id", "carrier gateway", false),
];

/// Help for a default route, by its target: never "route to X" while reporting a route to X.
/// Through a private hop (transit gateway, peering, endpoint, appliance) traffic goes wherever that
/// hop forwards it: the path is what to check. Through a gateway out of the network, only private
/// destinations belong in the route.
fn route_help<'t>(attr: &dyn Fn(&str) -> Option<&'t Tracked>) -> String {
    let target = ROUTE_TARGETS
        .iter()
        .find(|(key, _, _)| attr(key).is_some_and(|t| !t.is_null() && t.as_str() != Some("")));
    match target {
        Some((_, kind, true)) => format!(
            "a default route through a {kind} sends every destination wherever the {kind} forwards it: make sure that path leaves only through egress inspected inside the jurisdiction (then suppress this finding with the reason), or route only private CIDRs through it"
        ),
        _ => "route only private destinations (the VPC's, peered and on-premises CIDRs) and reach cloud services through private endpoints (VPC endpoints, PrivateLink)".to_string(),
    }
}

const EGRESS_HELP: &str =
    "allow egress only to the VPC CIDR, VPC endpoints or prefix lists of in-jurisdiction services";

fn is_everywhere(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0" | "0.0.0.0")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn gateways_routes_and_egress() {
        let model = ModelBuilder::new()
            .resource("aws_internet_gateway", "igw", json!({"vpc_id": "?aws_vpc.main.id"}))
            .resource("aws_nat_gateway", "private", json!({"connectivity_type": "private"}))
            .resource("aws_route", "default", json!({"destination_cidr_block": "0.0.0.0/0"}))
            .resource("aws_security_group", "sg", json!({"egress": [{"cidr_blocks": ["10.0.0.0/16"]}, {"ipv6_cidr_blocks": ["::/0"]}]}))
            .resource("aws_subnet", "pub", json!({"map_public_ip_on_launch": true}))
            .resource("aws_launch_template", "lt", json!({"network_interfaces": [{"associate_public_ip_address": true}]}))
            .resource("azurerm_network_security_rule", "out", json!({"direction": "Outbound", "access": "Allow", "destination_address_prefix": "Internet"}))
            .resource("google_compute_instance", "vm", json!({"network_interface": [{"network": "default", "access_config": [{}]}]}))
            .resource("google_compute_firewall", "deny", json!({"direction": "EGRESS", "deny": [{"protocol": "all"}], "destination_ranges": ["0.0.0.0/0"]}))
            .build();
        let got = lint(&model, "", &["SOV005"]);
        assert_eq!(got.len(), 7, "{got:#?}");
    }

    /// The help of a default-route finding never recommends the kind of target the route goes to.
    #[test]
    fn route_help_never_recommends_the_reported_target() {
        let mut builder = ModelBuilder::new();
        for (key, _, _) in super::ROUTE_TARGETS {
            builder = builder.resource(
                "aws_route",
                key,
                json!({"destination_cidr_block": "0.0.0.0/0", key: "?aws_x.y.id known after apply"}),
            );
            builder = builder.resource(
                "aws_route_table",
                key,
                json!({"route": [{"cidr_block": "0.0.0.0/0", key: "hop-123"}]}),
            );
        }
        let model = builder.build();
        let policy = sovereign_schemas::Policy::from_toml("").unwrap();
        let findings: Vec<_> = crate::rules::run(&model, &policy)
            .into_iter()
            .filter(|f| f.rule == "SOV005")
            .collect();
        assert_eq!(findings.len(), 2 * super::ROUTE_TARGETS.len());
        for f in findings {
            let (key, kind, private_hop) = super::ROUTE_TARGETS
                .iter()
                .find(|(key, _, _)| f.address.ends_with(&format!(".{key}")))
                .unwrap();
            let help = f.help.to_lowercase();
            let kind = kind.to_lowercase();
            if *private_hop {
                assert!(
                    help.starts_with(&format!("a default route through a {kind} ")),
                    "{key}: {help}"
                );
                assert!(
                    !help.contains(&format!("route only to {kind}")),
                    "{key}: {help}"
                );
            } else {
                assert!(!help.contains(&format!("{kind}s")), "{key}: {help}");
            }
            // No recommendation names a private hop as the way out.
            assert!(!help.contains("transit gateways"), "{key}: {help}");
        }
    }
}
