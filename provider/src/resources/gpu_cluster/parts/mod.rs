pub mod instances;
pub mod launch_template;
pub mod placement_group;
pub mod tags;
