//! The connection table: at most `cap` connections are held at once; each is either busy
//! (a request is being answered, its response body included) or idle (waiting for its
//! first or next request, or dribbling its headers).
//!
//! At the cap the accept loop takes no new connection from the kernel's backlog while
//! every held connection is busy. When one is idle, a newcomer is accepted and the
//! connection idle the longest is evicted (closed at once) to make room: idle sockets
//! cannot keep `/health` or the web page out, and a connection in the middle of a request
//! is never cut for a newcomer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The held connections and the room for more.
#[derive(Debug)]
pub(super) struct Slots {
    cap: usize,
    permits: Arc<Semaphore>,
    table: Mutex<Table>,
    /// Told when a connection turns idle (a candidate for eviction).
    turned_idle: Notify,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    conns: HashMap<u64, Arc<Conn>>,
}

/// One held connection, shared by its task, its requests and the table.
#[derive(Debug)]
pub(super) struct Conn {
    id: u64,
    /// Requests being answered (hyper's HTTP/1 answers one at a time; a count is simpler
    /// to keep right than a flag).
    busy: AtomicUsize,
    /// When it last turned idle (or was accepted).
    idle_since: Mutex<Instant>,
    /// Told when the accept loop evicts it.
    pub evicted: Notify,
}

/// What [`Slots::wait_for_room`] found.
#[derive(Debug)]
pub(super) enum Room {
    Free(OwnedSemaphorePermit),
    Evictable,
}

/// A held slot: frees its place in the table and the cap when dropped.
#[derive(Debug)]
pub(super) struct Slot {
    pub conn: Arc<Conn>,
    slots: Arc<Slots>,
    _permit: OwnedSemaphorePermit,
}

/// Marks its connection busy from a request's arrival until its response body is done.
#[derive(Debug)]
pub(super) struct BusyGuard {
    conn: Arc<Conn>,
    slots: Arc<Slots>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing under these locks can panic half-way; a poisoned one is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Slots {
    pub fn new(cap: usize) -> Arc<Slots> {
        Arc::new(Slots {
            cap,
            permits: Arc::new(Semaphore::new(cap)),
            table: Mutex::new(Table::default()),
            turned_idle: Notify::new(),
        })
    }

    /// Connections held now.
    pub fn held(&self) -> usize {
        lock(&self.table).conns.len()
    }

    /// A free place, if any.
    pub fn try_admit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// Waits until accepting is worth it: a place is free, or an idle connection could be
    /// evicted for a newcomer ([`Room::Evictable`]).
    pub async fn wait_for_room(&self) -> Room {
        loop {
            if let Some(permit) = self.try_admit() {
                return Room::Free(permit);
            }
            if self.oldest_idle().is_some() {
                return Room::Evictable;
            }
            tokio::select! {
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => return Room::Free(permit),
                    Err(_) => std::future::pending::<()>().await,
                },
                () = self.turned_idle.notified() => {}
            }
        }
    }

    /// A place for a newcomer accepted at the cap: evicts the connection idle the longest
    /// and takes its place; waits if all turned busy meanwhile.
    pub async fn make_room(&self) -> OwnedSemaphorePermit {
        loop {
            if let Some(permit) = self.try_admit() {
                return permit;
            }
            if let Some(victim) = self.oldest_idle() {
                tracing::debug!(
                    connection = victim.id,
                    cap = self.cap,
                    "at the connection cap: closing the longest idle connection"
                );
                victim.evicted.notify_one();
            }
            tokio::select! {
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => return permit,
                    Err(_) => std::future::pending::<()>().await,
                },
                () = self.turned_idle.notified() => {}
            }
        }
    }

    /// Holds a place for an accepted connection.
    pub fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let mut table = lock(&self.table);
        table.next_id += 1;
        let conn = Arc::new(Conn {
            id: table.next_id,
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            evicted: Notify::new(),
        });
        table.conns.insert(conn.id, conn.clone());
        Slot {
            conn,
            slots: self.clone(),
            _permit: permit,
        }
    }

    /// Resolves once every connection is closed.
    pub async fn all_closed(&self) {
        let cap = u32::try_from(self.cap).unwrap_or(u32::MAX);
        let _all = self.permits.acquire_many(cap).await;
    }

    /// The connection idle the longest, if any is idle.
    fn oldest_idle(&self) -> Option<Arc<Conn>> {
        lock(&self.table)
            .conns
            .values()
            .filter(|c| !c.is_busy())
            .min_by_key(|c| *lock(&c.idle_since))
            .cloned()
    }
}

impl Conn {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }
}

impl Slot {
    /// Marks the connection busy until the guard is dropped.
    pub fn busy(&self) -> BusyGuard {
        self.conn.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard {
            conn: self.conn.clone(),
            slots: self.slots.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.slots.table).conns.remove(&self.conn.id);
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        *lock(&self.conn.idle_since) = Instant::now();
        if self.conn.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.slots.turned_idle.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(slots: &Arc<Slots>) -> Slot {
        slots.register(slots.try_admit().expect("room"))
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_is_evicted_never_a_busy_one() {
        let slots = Slots::new(3);
        let a = admit(&slots);
        let b = admit(&slots);
        let c = admit(&slots);
        assert!(slots.try_admit().is_none());
        // `a` is busy, `b` turned idle after `c` was accepted: `c` is idle the longest.
        let _busy = a.busy();
        drop(b.busy());
        assert!(matches!(slots.wait_for_room().await, Room::Evictable));
        let evicting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.make_room().await }
        });
        let wait = std::time::Duration::from_millis(200);
        tokio::time::timeout(wait, c.conn.evicted.notified())
            .await
            .expect("the longest idle connection is evicted");
        for other in [&a, &b] {
            let told = tokio::time::timeout(wait / 4, other.conn.evicted.notified()).await;
            assert!(told.is_err(), "connection {} evicted", other.conn.id());
        }
        drop(c);
        let d = slots.register(evicting.await.expect("no panic"));
        assert_eq!(slots.held(), 3);
        drop((b, d));
        assert_eq!(slots.held(), 1);
    }

    #[tokio::test]
    async fn with_every_connection_busy_newcomers_wait() {
        let slots = Slots::new(1);
        let a = admit(&slots);
        let busy = a.busy();
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { matches!(slots.wait_for_room().await, Room::Free(_)) }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "nothing to evict: no room");
        drop(busy);
        // Turned idle: now it can be evicted for a newcomer.
        assert!(!waiting.await.expect("no panic"));
        drop(a);
        assert!(slots.try_admit().is_some());
        tokio::time::timeout(std::time::Duration::from_secs(1), slots.all_closed())
            .await
            .expect("all closed");
    }
}
