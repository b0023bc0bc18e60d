"""Feedback: every voice — survey answers, reviews, SNS posts, tickets, chats."""
