# Critical (1) and Error (2) events of the System and Application logs since the given time. Reads only.
param([Parameter(Mandatory)][string]$Since)
$Ansible.Changed = $false
$filter = @{ LogName = 'System', 'Application'; Level = 1, 2; StartTime = [datetime]::Parse($Since) }
Get-WinEvent -FilterHashtable $filter -ErrorAction SilentlyContinue |
    Select-Object TimeCreated, Id, Level, LevelDisplayName, ProviderName, LogName, Message
