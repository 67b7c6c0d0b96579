"""Adapters for the call-out: /activate and its dialogue, answers, mission buttons, /status,
/close, /cancel, /away and /back."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.callout.render import status_detail, status_overview
from bot.choices import ActivateChoice, Answer, HoldAction, MissionAction, StatusAction
from bot.delivery.messages import Button, OutgoingMessage
from bot.people.availability import parse_away
from handlers.common import Adapter
from storage.models import Activation, Member

__all__ = ["CalloutHandlers"]

Context = ContextTypes.DEFAULT_TYPE


class CalloutHandlers(Adapter):
    """Call-out commands and buttons."""

    # -- /activate -----------------------------------------------------------------------------

    async def activate(self, update: Update, context: Context) -> None:
        """/activate: starts the leader's call-out dialogue."""
        leader = await self.leader_or_refuse(update)
        if leader is not None:
            await self.reply(update, (await self.services.activation.begin(leader)).messages)

    async def activate_choice(self, update: Update, context: Context,
                              choice: ActivateChoice) -> None:
        """A button inside the /activate dialogue."""
        leader = await self.member_of(update)
        if leader is None or not leader.is_leader:
            await self.toast(update, self.t(update, leader).gettext("Only leaders can do that."))
            return
        await self.toast(update, None)
        reply = await self.services.activation.choose(leader, choice)
        await self.reply(update, reply.messages)

    async def dialogue_text(self, update: Update, member: Member) -> bool:
        """Typed text inside /activate; False if the leader has no such dialogue open."""
        if not member.is_leader or not await self.services.activation.is_active(member.telegram_id):
            return False
        reply = await self.services.activation.text(member, update.effective_message.text)
        await self.reply(update, reply.messages)
        return True

    async def location(self, update: Update, context: Context) -> None:
        """A shared location or venue: the location step of /activate."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        message = update.effective_message
        if message.venue is not None:
            venue = message.venue
            reply = await self.services.activation.location(
                member, venue.location.latitude, venue.location.longitude, venue.title,
                venue.address)
        else:
            reply = await self.services.activation.location(
                member, message.location.latitude, message.location.longitude)
        await self.reply(update, reply.messages)

    # -- answers and mission buttons -----------------------------------------------------------

    async def answer(self, update: Update, context: Context, choice: Answer) -> None:
        """[Ja, jag kan] / [Nej] on a request."""
        t = self.t(update, None)
        result = await self.services.callouts.answer(update.effective_user.id, choice.request_id,
                                                     choice.yes, t)
        await self.toast(update, result.text)

    async def mission(self, update: Update, context: Context, action: MissionAction) -> None:
        """[Framme] / [Avslutad] / [Kan inte ändå] under a briefing."""
        t = self.t(update, None)
        result = await self.services.callouts.mission(update.effective_user.id,
                                                      action.request_id, action.verb, t)
        await self.toast(update, result.text)

    # -- /status -------------------------------------------------------------------------------

    async def status(self, update: Update, context: Context) -> None:
        """/status [CODE]: leaders see the call-outs, volunteers their own state."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        if not member.is_leader:
            await self.reply(update, [await self._volunteer_status(update, member)])
            return
        if context.args:
            activation = await self.activation_from_args(update, member, context.args)
            if activation is not None:
                await self.reply(update, [await self._detail(update, member, activation)])
            return
        await self.reply(update, [await self._overview(update, member)])

    async def _overview(self, update: Update, leader: Member) -> OutgoingMessage:
        reads = self.services.callouts.reads
        rows = []
        for activation in await reads.running():
            rows.append((activation, await reads.state_counts(activation.id),
                         await reads.unreachable_count(activation.id)))
        now = self.services.clock()
        return status_overview(self.services.settings, rows, await reads.readiness(now), now,
                               self.t(update, leader))

    async def _detail(self, update: Update, leader: Member,
                      activation: Activation) -> OutgoingMessage:
        reads = self.services.callouts.reads
        return status_detail(self.services.settings, activation,
                             await reads.requests_with_members(activation.id),
                             await reads.unreachable_count(activation.id),
                             self.services.clock(), self.t(update, leader))

    async def _volunteer_status(self, update: Update, member: Member) -> OutgoingMessage:
        t = self.t(update, member)
        now = self.services.clock()
        if member.away_until and member.away_until > now:
            lines = [t.gettext("You are away until {time}. /back makes you available.").format(
                time=t.datetime(member.away_until))]
        else:
            lines = [t.gettext("You are available. /away 3d marks you away.")]
        assignments = await self.services.callouts.reads.assignments(member.id)
        for request, activation in assignments:
            state = (t.gettext("you are confirmed") if request.state == "confirmed"
                     else t.gettext("you are a reserve"))
            lines.append(f"{self.services.callouts.headline(activation, t)} – {state}")
        if not assignments:
            lines.append(t.gettext("You have no assignment right now."))
        return OutgoingMessage("\n".join(lines))

    async def status_action(self, update: Update, context: Context,
                            action: StatusAction) -> None:
        """Buttons under /status CODE: close, cancel (asks first), refresh."""
        leader = await self.member_of(update)
        if leader is None or not leader.is_leader:
            await self.toast(update, self.t(update, leader).gettext("Only leaders can do that."))
            return
        t = self.t(update, leader)
        activation = await self.services.callouts.reads.by_id(action.activation_id)
        if activation is None:
            await self.toast(update, t.gettext("That call-out no longer exists."))
            return
        if action.verb == "refresh":
            await self.toast(update, None)
            await self.reply(update, [await self._detail(update, leader, activation)])
        elif action.verb == "cancel":
            await self.toast(update, None)
            confirm = ((Button(t.gettext("Yes, cancel {code}").format(code=activation.code),
                               StatusAction(activation.id, "cancel_yes").pack()),),)
            await self.reply(update, [OutgoingMessage(t.gettext(
                "Cancel {code}? Everyone, the confirmed too, will be stood down.").format(
                    code=activation.code), buttons=confirm)])
        elif action.verb == "cancel_yes":
            result = await self.services.callouts.cancel(leader, activation.id)
            await self.toast(update, result.text)
        elif action.verb == "go":
            result = await self.services.callouts.go_with_confirmed(leader, activation.id)
            await self.toast(update, result.text)
        elif action.verb == "widen":
            await self.toast(update, await self.services.callouts.escalation.widen(
                leader, activation.id))
        else:
            result = await self.services.callouts.close(leader, activation.id)
            await self.toast(update, result.text)

    async def hold_action(self, update: Update, context: Context, action: HoldAction) -> None:
        """A leader's [Bekräfta nu] for a volunteer held for a mixed pair."""
        leader = await self.member_of(update)
        if leader is None or not leader.is_leader:
            await self.toast(update, self.t(update, leader).gettext("Only leaders can do that."))
            return
        result = await self.services.callouts.confirm_hold(leader, action.request_id)
        await self.toast(update, result.text)

    # -- /close, /cancel -----------------------------------------------------------------------

    async def close(self, update: Update, context: Context) -> None:
        """/close CODE: ends an intervention."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        if not context.args:
            await self.reply_text(update, self.t(update, leader).gettext("Usage: /close CODE"))
            return
        activation = await self.activation_from_args(update, leader, context.args)
        if activation is not None:
            result = await self.services.callouts.close(leader, activation.id)
            await self.reply_text(update, result.text)

    async def cancel(self, update: Update, context: Context) -> None:
        """/cancel CODE calls off a call-out; /cancel alone leaves the /activate dialogue."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        if not context.args:
            if member.is_leader and await self.services.activation.is_active(member.telegram_id):
                await self.reply(update, (await self.services.activation.abort(member)).messages)
                return
            if not member.is_leader:
                await self.reply_text(update, t.gettext("Only leaders can do that. See /help."))
                return
            await self.reply_text(update, t.gettext("Usage: /cancel CODE"))
            return
        if not member.is_leader:
            await self.reply_text(update, t.gettext("Only leaders can do that. See /help."))
            return
        activation = await self.activation_from_args(update, member, context.args)
        if activation is not None:
            result = await self.services.callouts.cancel(member, activation.id)
            await self.reply_text(update, result.text)

    # -- availability --------------------------------------------------------------------------

    async def away(self, update: Update, context: Context) -> None:
        """/away 3d or /away 2026-12-24: not asked until then."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        settings = self.services.settings
        usage = t.gettext("Usage: /away 3d, /away 12h or /away 2026-12-24 (through that day).")
        if not context.args:
            await self.reply_text(update, usage)
            return
        try:
            until = parse_away(" ".join(context.args), self.services.clock(),
                               settings.organisation.tz)
        except ValueError:
            await self.reply_text(update, usage)
            return
        await self.services.callouts.set_away(member, until)
        await self.reply_text(update, t.gettext(
            "You are away until {time}. You will not be asked until then. /back ends it "
            "early.").format(time=t.datetime(until)))

    async def back(self, update: Update, context: Context) -> None:
        """/back: available again."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        await self.services.callouts.set_away(member, None)
        await self.reply_text(update, self.t(update, member).gettext(
            "Welcome back – you are available again."))
