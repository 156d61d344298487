from .roles import agent_level, is_agent, is_manager, is_privacy_officer


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_agent": False, "is_manager": False, "agent_level": None, "is_privacy_officer": False}
    return {"is_agent": is_agent(user), "is_manager": is_manager(user), "agent_level": agent_level(user),
            "is_privacy_officer": is_privacy_officer(user)}
