//! An inventory read part by part: each subscription's labs as soon as they are listed, each
//! lab's counts as its lists arrive. The screen never goes blank: a refresh over data already
//! shown replaces it lab by lab, and labs not read yet keep what was shown (or say "reading").

use time::OffsetDateTime;

use super::super::effect::Effect;
use super::super::model::Model;
use crate::factory::Inventory;
use crate::factory::inventory::Reading;

/// How often the data shown is rebuilt while parts stream in (a subscription's labs show at
/// once).
pub const SHOW_EVERY: time::Duration = time::Duration::milliseconds(250);

/// One part of the reading that `req` started; parts of a superseded reading are dropped.
pub fn part(model: &mut Model, req: u64, part: Reading) -> Vec<Effect> {
    // How many subscriptions there are changes nothing on screen: each comes as its own part.
    if model.freshness.refreshing != Some(req) || matches!(part, Reading::Subscriptions(_)) {
        return Vec::new();
    }
    let listed = matches!(part, Reading::Listed(_));
    // The lab the operator is looking at is shown the moment it arrives.
    let looked_at = match (&part, &model.route().view) {
        (Reading::Lab(lab, _), super::super::model::View::Images { lab: Some(id) }) => {
            &lab.id == id
        }
        _ => false,
    };
    let shown = model.data.as_ref().map(|d| &d.inventory);
    let partial = model.freshness.partial.get_or_insert_with(|| {
        shown.cloned().unwrap_or_else(|| Inventory {
            subscriptions: Vec::new(),
            problems: Vec::new(),
            taken_at: OffsetDateTime::UNIX_EPOCH,
        })
    });

    merge(partial, part);
    model.freshness.partial_unshown = true;
    // A first sight of labs is shown at once; counts filling in, at most four times a second.
    let due = model
        .freshness
        .partial_shown_at
        .is_none_or(|at| model.now - at >= SHOW_EVERY);
    if listed || looked_at || due || model.data.is_none() {
        show(model);
    }
    Vec::new()
}

/// Shows what the reading has so far, if anything new came since it was last shown.
pub fn show(model: &mut Model) {
    if !model.freshness.partial_unshown {
        return;
    }
    let Some(partial) = model.freshness.partial.clone() else {
        return;
    };
    model.freshness.partial_unshown = false;
    model.freshness.partial_shown_at = Some(model.now);
    super::replies::set_data(model, partial);
}

/// Puts a part into the inventory being assembled. A listed lab not yet in it comes in as
/// "reading"; one already there keeps what it had until its own read replaces it.
pub fn merge(inventory: &mut Inventory, part: Reading) {
    match part {
        Reading::Listed(sub) => {
            let at = match inventory
                .subscriptions
                .iter()
                .position(|s| s.id.eq_ignore_ascii_case(&sub.id))
            {
                Some(at) => at,
                None => {
                    let mut empty = sub.clone();
                    empty.labs.clear();
                    inventory.subscriptions.push(empty);
                    inventory.subscriptions.len() - 1
                }
            };
            // Its list is the truth: labs gone from it go; its earlier failure is over.
            inventory
                .problems
                .retain(|p| !p.id.eq_ignore_ascii_case(&sub.id));
            let known = &mut inventory.subscriptions[at];
            known
                .labs
                .retain(|l| sub.labs.iter().any(|listed| listed.id == l.id));
            known.name = sub.name.clone();
            known.state = sub.state.clone();
            known.tenant = sub.tenant.clone();
            for lab in sub.labs {
                if !known.labs.iter().any(|l| l.id == lab.id) {
                    known.labs.push(lab);
                }
            }
            crate::factory::inventory::sort(&mut inventory.subscriptions);
        }
        Reading::Lab(lab, problem) => {
            inventory
                .problems
                .retain(|p| !p.id.eq_ignore_ascii_case(lab.id.as_str()));
            inventory.problems.extend(problem);
            // A lab before its subscription's list (parts may cross): the subscription is
            // known by its id until its list names it.
            if !inventory
                .subscriptions
                .iter()
                .any(|s| s.id.eq_ignore_ascii_case(&lab.subscription_id))
            {
                inventory
                    .subscriptions
                    .push(crate::factory::SubscriptionInventory {
                        id: lab.subscription_id.clone(),
                        name: lab.subscription_id.clone(),
                        state: String::new(),
                        tenant: None,
                        labs: Vec::new(),
                    });
            }
            let Some(sub) = inventory
                .subscriptions
                .iter_mut()
                .find(|s| s.id.eq_ignore_ascii_case(&lab.subscription_id))
            else {
                return;
            };
            match sub.labs.iter_mut().find(|l| l.id == lab.id) {
                Some(known) => *known = *lab,
                None => {
                    sub.labs.push(*lab);
                    crate::factory::inventory::sort_labs(&mut sub.labs);
                }
            }
        }
        Reading::Failed(problem) => {
            inventory
                .problems
                .retain(|p| !p.id.eq_ignore_ascii_case(&problem.id));
            inventory.problems.push(problem);
        }
        Reading::Subscriptions(_) => {}
    }
}

/// `inventory` after its reading failed: each lab still marked reading is marked not read
/// whole (nothing in it is decided on) and is a problem that says why.
pub fn unread(mut inventory: Inventory, why: &str) -> Inventory {
    let mut problems = Vec::new();
    for sub in &mut inventory.subscriptions {
        for lab in sub.labs.iter_mut().filter(|l| l.reading) {
            lab.reading = false;
            lab.complete = false;
            problems.push(crate::factory::inventory::Problem {
                scope: "lab",
                id: lab.id.to_string(),
                name: lab.name.clone(),
                error: crate::arm::ArmError::Api {
                    method: "GET".into(),
                    resource: lab.id.to_string(),
                    status: 0,
                    code: "NotRead".into(),
                    message: format!("the refresh failed before this lab was read: {why}"),
                    request_id: None,
                },
            });
        }
    }
    inventory.problems.extend(problems);
    inventory
}
