//! `images --json` written as the labs are read. A lab's images are written once it and every
//! lab before it in the output's order have been read, so that when the last response arrives
//! little is left to do, and the text of every image is never held at once. The order is the
//! inventory's (`inventory::sort`), known once every subscription has listed its labs.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Write};

use time::OffsetDateTime;

use super::{elements_of_lab, shows};
use crate::config::FactoryConfig;
use crate::factory::inventory::{self, Reading};
use crate::factory::{LabInventory, SubscriptionInventory};

/// One pretty JSON array of every shown lab's images, written part by part.
pub(super) struct JsonStream<W: Write> {
    out: io::BufWriter<W>,
    config: Option<FactoryConfig>,
    now: OffsetDateTime,
    /// `--lab`: only the images of labs of this name.
    lab: Option<String>,
    listed: Vec<SubscriptionInventory>,
    failed: usize,
    subscriptions: Option<usize>,
    /// The keys of shown labs still to write, in order, once every subscription is listed.
    order: Option<VecDeque<String>>,
    /// Labs read before their turn, as their text.
    waiting: HashMap<String, Vec<u8>>,
    written: HashSet<String>,
    /// Whether the array has been opened (with its first element).
    opened: bool,
    /// The first write that failed: nothing is written after it.
    error: Option<io::Error>,
}

impl<W: Write> JsonStream<W> {
    pub fn new(
        out: W,
        config: Option<FactoryConfig>,
        now: OffsetDateTime,
        lab: Option<String>,
    ) -> Self {
        JsonStream {
            // Parts are tens of kilobytes; the separators between them are not.
            out: io::BufWriter::with_capacity(1 << 16, out),
            config,
            now,
            lab,
            listed: Vec::new(),
            failed: 0,
            subscriptions: None,
            order: None,
            waiting: HashMap::new(),
            written: HashSet::new(),
            opened: false,
            error: None,
        }
    }

    /// Takes one part of the reading and writes what has become ready.
    pub fn take(&mut self, reading: Reading) {
        match reading {
            Reading::Listed(sub) => self.listed.push(sub),
            Reading::Failed(_) => self.failed += 1,
            Reading::Subscriptions(n) => self.subscriptions = Some(n),
            Reading::Lab(lab, _) => {
                if shows(self.lab.as_deref(), &lab) {
                    let part = elements_of_lab(&lab, self.config.as_ref(), self.now);
                    self.waiting.insert(lab.id.key(), part);
                }
            }
        }
        if self.order.is_none() && self.subscriptions == Some(self.listed.len() + self.failed) {
            let mut listed = std::mem::take(&mut self.listed);
            inventory::sort(&mut listed);
            let lab = self.lab.as_deref();
            self.order = Some(
                listed
                    .iter()
                    .flat_map(|s| &s.labs)
                    .filter(|l| shows(lab, l))
                    .map(|l| l.id.key())
                    .collect(),
            );
        }
        while let Some(part) = self.next_ready() {
            self.write(part);
        }
    }

    fn next_ready(&mut self) -> Option<(String, Vec<u8>)> {
        let order = self.order.as_mut()?;
        let part = self.waiting.remove(order.front()?)?;
        Some((order.pop_front()?, part))
    }

    /// Writes what is left, `labs` being the shown labs of the reading's inventory in order
    /// (the order the parts were written in, by the same sort), every one of them once, even
    /// one the parts never told of; and closes the array.
    pub fn finish(mut self, labs: &[&LabInventory]) -> io::Result<()> {
        for lab in labs {
            let key = lab.id.key();
            if self.written.contains(&key) {
                continue;
            }
            let part = self
                .waiting
                .remove(&key)
                .unwrap_or_else(|| elements_of_lab(lab, self.config.as_ref(), self.now));
            self.write((key, part));
        }
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.out
            .write_all(if self.opened { b"\n]\n" } else { b"[]\n" })?;
        self.out.flush()
    }

    fn write(&mut self, (key, part): (String, Vec<u8>)) {
        self.written.insert(key);
        if part.is_empty() || self.error.is_some() {
            return;
        }
        let separator: &[u8] = if self.opened { b",\n" } else { b"[\n" };
        self.opened = true;
        let result = self
            .out
            .write_all(separator)
            .and_then(|()| self.out.write_all(&part));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::ResourceId;
    use crate::factory::Image;

    fn lab(sub: &str, name: &str, images: usize) -> LabInventory {
        let id = format!(
            "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/{name}"
        );
        LabInventory {
            id: ResourceId::new(id.clone()),
            name: name.into(),
            subscription_id: sub.into(),
            resource_group: "rg".into(),
            location: "westeurope".into(),
            role: None,
            images: (0..images)
                .map(|i| Image {
                    id: ResourceId::new(format!("{id}/customimages/{name}-{i}")),
                    name: format!("{name}-{i}"),
                    image_path: None,
                    created: None,
                    os_type: Some("Windows".into()),
                    author: None,
                    description: Some(format!("image \"{i}\"\nof {name}")),
                    pin: None,
                    in_use: i == 0,
                    provisioning_state: Some("Succeeded".into()),
                    tags: Default::default(),
                })
                .collect(),
            vms: Vec::new(),
            formula_images: Vec::new(),
            complete: true,
            denied: None,
            build_denied: None,
            subscription_refuses: None,
            reading: false,
        }
    }

    fn subscription(id: &str, name: &str, labs: Vec<LabInventory>) -> SubscriptionInventory {
        SubscriptionInventory {
            id: id.into(),
            name: name.into(),
            state: "Enabled".into(),
            tenant: None,
            labs,
        }
    }

    /// An estate whose listing order is not its display order: subscriptions and labs come
    /// unsorted, one lab has no images, and two labs share a name in different subscriptions.
    fn estate() -> Vec<SubscriptionInventory> {
        vec![
            subscription(
                "s2",
                "Zeta",
                vec![lab("s2", "qa", 2), lab("s2", "Alpha", 1)],
            ),
            subscription(
                "s1",
                "alpha",
                vec![
                    lab("s1", "empty", 0),
                    lab("s1", "qa", 3),
                    lab("s1", "Build", 1),
                ],
            ),
        ]
    }

    /// The estate as its inventory holds it, in display order.
    fn sorted() -> Vec<SubscriptionInventory> {
        let mut subs = estate();
        inventory::sort(&mut subs);
        subs
    }

    fn shown_in<'s>(
        subs: &'s [SubscriptionInventory],
        lab_filter: Option<&str>,
    ) -> Vec<&'s LabInventory> {
        subs.iter()
            .flat_map(|s| &s.labs)
            .filter(|l| shows(lab_filter, l))
            .collect()
    }

    /// What one serialisation of every shown image, in display order, writes.
    fn expected(lab_filter: Option<&str>, now: OffsetDateTime) -> String {
        let subs = sorted();
        let labs = shown_in(&subs, lab_filter);
        let plans: Vec<_> = labs
            .iter()
            .map(|l| crate::factory::retention::plan_lab(l, None, now))
            .collect();
        let rows: Vec<super::super::ImageRow> = labs
            .iter()
            .zip(&plans)
            .flat_map(|(l, p)| {
                l.images
                    .iter()
                    .zip(&p.decisions)
                    .map(|(i, d)| super::super::ImageRow::new(l, i, d))
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&rows).unwrap();
        text.push('\n');
        text
    }

    fn listed(sub: &SubscriptionInventory) -> Reading {
        let mut shell = sub.clone();
        for lab in &mut shell.labs {
            lab.images.clear();
            lab.reading = true;
        }
        Reading::Listed(shell)
    }

    /// Streams `parts` and finishes with the estate's labs in display order.
    fn stream(parts: Vec<Reading>, lab_filter: Option<&str>, now: OffsetDateTime) -> String {
        let mut out = Vec::new();
        let mut stream = JsonStream::new(&mut out, None, now, lab_filter.map(str::to_string));
        for part in parts {
            stream.take(part);
        }
        let subs = sorted();
        stream.finish(&shown_in(&subs, lab_filter)).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn labs_read() -> Vec<Reading> {
        estate()
            .into_iter()
            .flat_map(|s| s.labs)
            .map(|l| Reading::Lab(Box::new(l), None))
            .collect()
    }

    #[test]
    fn parts_in_any_order_write_the_array_one_serialisation_writes() {
        let now = OffsetDateTime::now_utc();
        let subs = estate();
        // The count first, then each subscription's list, then its labs.
        let mut orderly = vec![Reading::Subscriptions(2)];
        orderly.extend(subs.iter().map(listed));
        orderly.extend(labs_read());
        // Labs first (the listener may see them before the count), the count last.
        let mut labs_first = labs_read();
        labs_first.reverse();
        labs_first.extend(subs.iter().map(listed));
        labs_first.push(Reading::Subscriptions(2));
        // The count never comes (a reading without it): everything is written at the end.
        let mut uncounted: Vec<Reading> = subs.iter().map(listed).collect();
        uncounted.extend(labs_read());
        // Some labs never told of: the finish writes them from the inventory, in their turn.
        let mut some_untold = vec![Reading::Subscriptions(2)];
        some_untold.extend(subs.iter().map(listed));
        some_untold.extend(labs_read().into_iter().step_by(2));
        for (case, parts) in [
            ("orderly", orderly),
            ("labs first", labs_first),
            ("uncounted", uncounted),
            ("some untold", some_untold),
        ] {
            assert_eq!(stream(parts, None, now), expected(None, now), "{case}");
        }
    }

    #[test]
    fn only_the_labs_asked_for_and_an_empty_array_when_none_have_images() {
        let now = OffsetDateTime::now_utc();
        let mut parts = vec![Reading::Subscriptions(2)];
        parts.extend(estate().iter().map(listed));
        parts.extend(labs_read());
        let qa = stream(parts, Some("QA"), now);
        assert_eq!(qa, expected(Some("QA"), now));
        assert_eq!(qa.matches("\"lab\": \"qa\"").count(), 5, "{qa}");
        let mut parts = vec![Reading::Subscriptions(2)];
        parts.extend(estate().iter().map(listed));
        parts.extend(labs_read());
        assert_eq!(stream(parts, Some("empty"), now), "[]\n");
    }

    #[test]
    fn a_failed_subscription_counts_towards_the_listing() {
        let now = OffsetDateTime::now_utc();
        let subs = estate();
        let mut out = Vec::new();
        let mut stream = JsonStream::new(&mut out, None, now, None);
        stream.take(Reading::Subscriptions(3));
        for sub in &subs {
            stream.take(listed(sub));
        }
        for part in labs_read() {
            stream.take(part);
        }
        // Two of three told: nothing can be written yet, since the third might sort first.
        assert!(!stream.opened);
        stream.take(Reading::Failed(crate::factory::Problem {
            scope: "subscription",
            id: "s3".into(),
            name: "Beta".into(),
            error: crate::arm::ArmError::Usage("refused".into()),
        }));
        assert!(stream.opened, "the order is known once the failure is told");
        let subs = sorted();
        stream.finish(&shown_in(&subs, None)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected(None, now));
    }
}
