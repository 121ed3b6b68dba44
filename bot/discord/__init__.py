"""The Discord edge: the client, rendering of presenter replies, and the runner. Only this
package and ``cogs/`` import discord."""
