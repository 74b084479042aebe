-- Row level security. Every team-scoped row is reached through its team_id and the caller's
-- memberships; owners alone manage the team itself, its members, invitations and bank
-- connections. Visitors (anon) read the exchange rates and nothing else.

alter table public.teams enable row level security;
alter table public.users enable row level security;
alter table public.users_on_team enable row level security;
alter table public.user_invites enable row level security;
alter table public.bank_connections enable row level security;
alter table public.bank_accounts enable row level security;
alter table public.transaction_categories enable row level security;
alter table public.transactions enable row level security;
alter table public.tags enable row level security;
alter table public.customers enable row level security;
alter table public.invoices enable row level security;
alter table public.tracker_projects enable row level security;
alter table public.tracker_entries enable row level security;
alter table public.inbox enable row level security;
alter table public.documents enable row level security;
alter table public.reports enable row level security;
alter table public.exchange_rates enable row level security;

-- Teams are created by the onboarding route with the service key, which also writes the
-- creator's owner membership. Users rows are written by the signup trigger. Only these
-- columns are editable through the API.
revoke insert on public.teams, public.users from authenticated;
revoke update on public.teams, public.users, public.users_on_team from authenticated;
grant update (name, logo_url, email, base_currency) on public.teams to authenticated;
grant update (full_name, avatar_url, team_id, locale, week_starts_on_monday, timezone)
  on public.users to authenticated;
grant update (role) on public.users_on_team to authenticated;

create policy "Teams can be read by their members"
  on public.teams for select to authenticated
  using (id in (select private.get_teams_for_user()));
create policy "Teams can be edited by their owners"
  on public.teams for update to authenticated
  using (id in (select private.get_teams_for_user('owner')))
  with check (id in (select private.get_teams_for_user('owner')));
create policy "Teams can be deleted by their owners"
  on public.teams for delete to authenticated
  using (id in (select private.get_teams_for_user('owner')));

-- A user reads their own row and those of the people they share a team with, and edits their
-- own; the current team can only be one of theirs.
create policy "Users can read themselves and their teammates"
  on public.users for select to authenticated
  using (
    id = (select auth.uid())
    or exists (
      select 1 from public.users_on_team m
      where m.user_id = users.id and m.team_id in (select private.get_teams_for_user())
    )
  );
create policy "Users can edit themselves"
  on public.users for update to authenticated
  using (id = (select auth.uid()))
  with check (
    id = (select auth.uid())
    and (team_id is null or team_id in (select private.get_teams_for_user()))
  );

create policy "Members read the memberships of their teams"
  on public.users_on_team for select to authenticated
  using (user_id = (select auth.uid()) or team_id in (select private.get_teams_for_user()));
create policy "Owners add members to their teams"
  on public.users_on_team for insert to authenticated
  with check (team_id in (select private.get_teams_for_user('owner')));
create policy "Owners change the role of their members"
  on public.users_on_team for update to authenticated
  using (team_id in (select private.get_teams_for_user('owner')))
  with check (team_id in (select private.get_teams_for_user('owner')));
create policy "Members leave, owners remove members"
  on public.users_on_team for delete to authenticated
  using (
    user_id = (select auth.uid())
    or team_id in (select private.get_teams_for_user('owner'))
  );

create policy "Owners read the invitations of their teams"
  on public.user_invites for select to authenticated
  using (team_id in (select private.get_teams_for_user('owner')));
create policy "Owners invite people to their teams"
  on public.user_invites for insert to authenticated
  with check (team_id in (select private.get_teams_for_user('owner')));
create policy "Owners withdraw invitations of their teams"
  on public.user_invites for delete to authenticated
  using (team_id in (select private.get_teams_for_user('owner')));

-- Every member sees the bank connections; only owners connect, reconnect or remove a bank.
create policy "Members read the bank connections of their teams"
  on public.bank_connections for select to authenticated
  using (team_id in (select private.get_teams_for_user()));
create policy "Owners connect banks to their teams"
  on public.bank_connections for insert to authenticated
  with check (team_id in (select private.get_teams_for_user('owner')));
create policy "Owners update the bank connections of their teams"
  on public.bank_connections for update to authenticated
  using (team_id in (select private.get_teams_for_user('owner')))
  with check (team_id in (select private.get_teams_for_user('owner')));
create policy "Owners remove the bank connections of their teams"
  on public.bank_connections for delete to authenticated
  using (team_id in (select private.get_teams_for_user('owner')));

create policy "Members manage the bank accounts of their teams"
  on public.bank_accounts for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the transaction categories of their teams"
  on public.transaction_categories for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the transactions of their teams"
  on public.transactions for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the tags of their teams"
  on public.tags for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the customers of their teams"
  on public.customers for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the invoices of their teams"
  on public.invoices for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the tracker projects of their teams"
  on public.tracker_projects for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the tracker entries of their teams"
  on public.tracker_entries for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the inbox items of their teams"
  on public.inbox for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the documents of their teams"
  on public.documents for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Members manage the reports of their teams"
  on public.reports for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));

create policy "Exchange rates are public"
  on public.exchange_rates for select to anon, authenticated
  using (true);
