//! Zendesk account claims (docs/sync-rules.md §2 lifecycle): at most one integration per account,
//! checked in the same transaction as the integration's create, `url` change and delete; and
//! re-linking a deleted integration's case to the account's new integration.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use zsync_core::ports::{ACCOUNT_ENTITY, AccountClaim, StoreError, StoreResult, Versioned};
use zsync_mapping::{Case, IntegrationId, TicketRecord};

use super::cases::{TICKET, read_record, update_case};
use super::io;
use super::schema::{ACCOUNTS, Stored, TICKET_BY_CASE, TICKETS, decode, encode};

#[derive(Default, Serialize, Deserialize)]
struct StoredClaim {
    integration: Option<String>,
    #[serde(default)]
    former: Vec<String>,
}

fn read_claim<T>(table: &T, account: &str) -> StoreResult<Option<StoredClaim>>
where
    T: ReadableTable<&'static str, &'static [u8]>,
{
    let found = table.get(account).map_err(io)?;
    found
        .map(|bytes| decode(ACCOUNT_ENTITY, account, bytes.value()))
        .transpose()
}

fn write_claim(txn: &WriteTransaction, account: &str, claim: &StoredClaim) -> StoreResult<()> {
    let mut table = txn.open_table(ACCOUNTS).map_err(io)?;
    let bytes = encode(ACCOUNT_ENTITY, account, claim)?;
    table.insert(account, bytes.as_slice()).map_err(io)?;
    Ok(())
}

/// Makes `id` the holder of `account`; `AlreadyExists` (nothing written) if another holds it.
pub(crate) fn claim(txn: &WriteTransaction, account: &str, id: &IntegrationId) -> StoreResult<()> {
    let mut current = {
        let table = txn.open_table(ACCOUNTS).map_err(io)?;
        read_claim(&table, account)?.unwrap_or_default()
    };
    match &current.integration {
        Some(holder) if holder != id.as_str() => Err(StoreError::AlreadyExists {
            entity: ACCOUNT_ENTITY,
            key: account.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            current.integration = Some(id.to_string());
            write_claim(txn, account, &current)
        }
    }
}

/// Releases `account` if `id` holds it; `remember` adds `id` to the former holders.
pub(crate) fn release(
    txn: &WriteTransaction,
    account: &str,
    id: &IntegrationId,
    remember: bool,
) -> StoreResult<()> {
    let current = {
        let table = txn.open_table(ACCOUNTS).map_err(io)?;
        read_claim(&table, account)?
    };
    let mut claim = current.unwrap_or_default();
    if claim.integration.as_deref() == Some(id.as_str()) {
        claim.integration = None;
    }
    if remember && !claim.former.iter().any(|f| f == id.as_str()) {
        claim.former.push(id.to_string());
    }
    write_claim(txn, account, &claim)
}

pub(crate) fn get_account(
    txn: &ReadTransaction,
    account: &str,
) -> StoreResult<Option<AccountClaim>> {
    let table = txn.open_table(ACCOUNTS).map_err(io)?;
    Ok(read_claim(&table, account)?.map(|claim| AccountClaim {
        account: account.to_owned(),
        integration: claim.integration.map(IntegrationId::new),
        former: claim.former.into_iter().map(IntegrationId::new).collect(),
    }))
}

pub(crate) fn relink_case(
    txn: &WriteTransaction,
    case: &Case,
    case_version: u64,
    from: &Versioned<TicketRecord>,
    to: &TicketRecord,
) -> StoreResult<u64> {
    let old_key = (from.value.integration_id.as_str(), from.value.ticket_number);
    let new_key = (to.integration_id.as_str(), to.ticket_number);
    let shown = |key: (&str, u64)| format!("{}/{}", key.0, key.1);
    {
        let tickets = txn.open_table(TICKETS).map_err(io)?;
        match read_record(&tickets, old_key.0, old_key.1)? {
            Some(stored) if stored.version == from.version => {}
            Some(_) => {
                return Err(StoreError::VersionConflict {
                    entity: TICKET,
                    key: shown(old_key),
                    expected: from.version,
                });
            }
            None => {
                return Err(StoreError::NotFound {
                    entity: TICKET,
                    key: shown(old_key),
                });
            }
        }
        if tickets.get(new_key).map_err(io)?.is_some() {
            return Err(StoreError::AlreadyExists {
                entity: TICKET,
                key: shown(new_key),
            });
        }
    }
    // The case (version-checked, index entries moved) first: a conflict there writes nothing.
    let version = update_case(txn, case, case_version)?;
    let mut tickets = txn.open_table(TICKETS).map_err(io)?;
    let mut by_case = txn.open_table(TICKET_BY_CASE).map_err(io)?;
    tickets.remove(old_key).map_err(io)?;
    let bytes = encode(
        TICKET,
        &shown(new_key),
        &Stored {
            version: 1,
            value: to,
        },
    )?;
    tickets.insert(new_key, bytes.as_slice()).map_err(io)?;
    by_case.insert(to.case_id.as_str(), new_key).map_err(io)?;
    Ok(version)
}
